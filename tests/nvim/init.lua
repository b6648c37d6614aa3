-- A minimal, self-contained Neovim config for `splitdsl lsp` (used by the
-- headless test tests/nvim/lsp_test.lua and the README's screenshot).
-- Works with Neovim 0.7 (Debian's) and later. Start it with
--   SPLITDSL=/path/to/splitdsl nvim --clean -u tests/nvim/init.lua FILE.split
-- (SPLITDSL defaults to `splitdsl` on the PATH).

vim.g.do_filetype_lua = 1 -- Neovim 0.7: use filetype.lua (the default from 0.8)
vim.cmd("filetype on")
vim.filetype.add({ extension = { split = "splitdsl" } })

local cmd = { vim.env.SPLITDSL or "splitdsl", "lsp" }
local ns = vim.api.nvim_create_namespace("splitdsl_hints")

-- Inlay hints as end-of-line virtual text (Neovim before 0.10 has no
-- built-in inlay hints): ask the server, draw what it answers.
local function show_hints(bufnr)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = {
      start = { line = 0, character = 0 },
      ["end"] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 },
    },
  }
  vim.lsp.buf_request(bufnr, "textDocument/inlayHint", params, function(err, result)
    if err or not vim.api.nvim_buf_is_valid(bufnr) then
      return
    end
    vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
    for _, h in ipairs(result or {}) do
      local label = type(h.label) == "string" and h.label or ""
      pcall(vim.api.nvim_buf_set_extmark, bufnr, ns, h.position.line, 0, {
        virt_text = { { label, "Comment" } },
        virt_text_pos = "eol",
      })
    end
  end)
end

local function on_attach(_, bufnr)
  show_hints(bufnr)
  pcall(vim.lsp.codelens.refresh)
  vim.api.nvim_create_autocmd({ "TextChanged", "InsertLeave" }, {
    buffer = bufnr,
    callback = function()
      show_hints(bufnr)
      pcall(vim.lsp.codelens.refresh)
    end,
  })
  vim.keymap.set("n", "K", vim.lsp.buf.hover, { buffer = bufnr })
  vim.keymap.set("n", "gd", vim.lsp.buf.definition, { buffer = bufnr })
end

local client_id
vim.api.nvim_create_autocmd("FileType", {
  pattern = "splitdsl",
  callback = function(args)
    local config = {
      name = "splitdsl",
      cmd = cmd,
      root_dir = vim.fn.getcwd(),
      on_attach = on_attach,
    }
    if vim.lsp.start then -- Neovim 0.8+
      vim.lsp.start(config, { bufnr = args.buf })
    else
      client_id = client_id or vim.lsp.start_client(config)
      vim.lsp.buf_attach_client(args.buf, client_id)
    end
  end,
})
