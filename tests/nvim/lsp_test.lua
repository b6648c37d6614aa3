-- The real-client test: Neovim, headless, against the built `splitdsl lsp`.
-- Opens a file with an error (after an emoji, so UTF-16 columns matter),
-- waits for the diagnostics, hovers, asks for inlay hints, renames, fixes
-- the error and sees the diagnostics clear. Exits non-zero on any failure.
--   SPLITDSL=target/debug/splitdsl nvim --headless --clean -u tests/nvim/init.lua \
--     -c "luafile tests/nvim/lsp_test.lua"      (what .ci/lsp.sh runs)

local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  vim.cmd("cquit! 1")
end

local function check(cond, msg)
  if not cond then
    fail(msg)
  end
end

local function ok(msg)
  io.stdout:write("ok: " .. msg .. "\n")
end

local function run()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  local path = dir .. "/deal.split"
  local lines = {
    'agreement "Course 😀 sale"',
    "price = 100.00 USD",
    'fee hotmart "Hotmart 😀 fee" = 9.9% of pricee + 0.50 USD',
    "net = price - hotmart",
    'share affiliate "Ana" = 35% of net',
    "share producer = remaining",
  }
  vim.fn.writefile(lines, path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  check(vim.bo[bufnr].filetype == "splitdsl", "filetype is " .. vim.bo[bufnr].filetype)

  -- The server attaches and publishes the error.
  check(vim.wait(15000, function()
    return #vim.lsp.buf_get_clients(bufnr) > 0
  end, 50), "the client did not attach")
  ok("attached")
  check(vim.wait(15000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 50), "no diagnostics arrived")
  local d = vim.diagnostic.get(bufnr)[1]
  check(d.code == "splitdsl::name::unknown", "code is " .. tostring(d.code))
  check(d.message:find("did you mean `price`", 1, true) ~= nil, "message: " .. d.message)
  -- Neovim turns the server's UTF-16 columns into bytes: the range must be
  -- exactly `pricee` even after the 4-byte emoji.
  local byte_col = lines[3]:find("pricee", 1, true) - 1
  check(d.lnum == 2 and d.col == byte_col and d.end_col == byte_col + 6,
    string.format("range %d:%d-%d, want 2:%d-%d", d.lnum, d.col, d.end_col, byte_col, byte_col + 6))
  ok("diagnostic " .. d.code .. " at 3:" .. (d.col + 1))

  -- Hover on `net` in the affiliate line: kind, formula and value.
  local function hover(lnum, col)
    local params = {
      textDocument = vim.lsp.util.make_text_document_params(bufnr),
      position = { line = lnum, character = col },
    }
    local res = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", params, 10000)
    for _, r in pairs(res or {}) do
      if r.result and r.result.contents then
        return r.result.contents.value
      end
    end
    return ""
  end
  local h = hover(4, #'share affiliate "Ana" = 35% of n')
  check(h:find("**cell** `net`", 1, true) ~= nil, "hover: " .. h)
  ok("hover on an error file: " .. h:match("^[^\n]*"))

  -- Fix the error through an ordinary buffer edit (an incremental didChange).
  vim.api.nvim_buf_set_text(bufnr, 2, byte_col, 2, byte_col + 6, { "price" })
  check(vim.wait(15000, function()
    return #vim.diagnostic.get(bufnr) == 0
  end, 50), "diagnostics did not clear: " .. vim.inspect(vim.diagnostic.get(bufnr)))
  ok("diagnostics cleared")

  h = hover(4, #'share affiliate "Ana" = 35% of n')
  check(h:find("**net = 89.60 USD** for the defaults", 1, true) ~= nil, "hover: " .. h)
  ok("hover: net = 89.60 USD")

  -- Inlay hints: the amounts and pools of the defaults.
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 99, character = 0 } },
  }
  local res = vim.lsp.buf_request_sync(bufnr, "textDocument/inlayHint", params, 10000)
  local labels = {}
  for _, r in pairs(res or {}) do
    for _, hint in ipairs(r.result or {}) do
      table.insert(labels, hint.label)
    end
  end
  local want = { "→ 10.40 USD · pool 89.60", "→ 89.60 USD", "→ 31.36 USD · pool 58.24", "→ 58.24 USD · pool 0.00" }
  check(vim.deep_equal(labels, want), "hints: " .. vim.inspect(labels))
  ok("inlay hints: " .. table.concat(labels, " | "))

  -- Rename `net` (on its use) to `net_revenue`: both places change.
  vim.api.nvim_win_set_cursor(0, { 5, #'share affiliate "Ana" = 35% of n' })
  vim.lsp.buf.rename("net_revenue")
  check(vim.wait(15000, function()
    local t = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
    return t:find("net_revenue = price", 1, true) and t:find("35% of net_revenue", 1, true)
  end, 50), "rename did not apply: " .. table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n"))
  ok("renamed net to net_revenue")
  -- Still clean after the rename (the server saw the edits in order).
  vim.wait(500)
  check(#vim.diagnostic.get(bufnr) == 0, "diagnostics after rename: " .. vim.inspect(vim.diagnostic.get(bufnr)))
  h = hover(4, #'share affiliate "Ana" = 35% of n')
  check(h:find("**net_revenue = 89.60 USD**", 1, true) ~= nil, "hover after rename: " .. h)
  ok("hover after rename")
end

local ran, err = pcall(run)
if not ran then
  fail(tostring(err))
end
vim.cmd("qa!")
