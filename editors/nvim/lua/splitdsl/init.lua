-- Starts the splitdsl language server (`splitdsl lsp`) with Neovim's built-in client.
--
--   require('splitdsl').setup()                                    -- `splitdsl` on PATH
--   require('splitdsl').setup({ cmd = { '/path/to/splitdsl', 'lsp' } })
--
-- Neovim >= 0.11: vim.lsp.config + vim.lsp.enable. Neovim 0.8 to 0.10: vim.lsp.start from
-- a FileType autocommand. Neovim 0.7 (Debian 12): vim.lsp.start_client and
-- vim.lsp.buf_attach_client, one client per project root.
--
-- The amounts beside each fee, share and cell are the server's inlay hints: turned on with
-- vim.lsp.inlay_hint on Neovim >= 0.10, drawn as end-of-line virtual text before that
-- (`hints = false` leaves them off). Code lenses (✓ / ✗ on examples and requirements) are
-- refreshed as the buffer changes (`codelens = false` leaves them off).
local M = {}

M.defaults = {
  cmd = { 'splitdsl', 'lsp' },
  filetypes = { 'splitdsl' },
  root_markers = { '.git' },
  hints = true,
  codelens = true,
}

-- The namespace of the hints drawn as virtual text (Neovim < 0.10).
M.ns = vim.api.nvim_create_namespace('splitdsl_hints')

local function label_text(label)
  if type(label) == 'string' then
    return label
  end
  local parts = {}
  for _, part in ipairs(label or {}) do
    table.insert(parts, part.value or '')
  end
  return table.concat(parts)
end

-- Asks the server for the buffer's inlay hints and draws them at the ends of their lines.
function M.draw_hints(bufnr)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = {
      start = { line = 0, character = 0 },
      ['end'] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 },
    },
  }
  vim.lsp.buf_request(bufnr, 'textDocument/inlayHint', params, function(err, result)
    if err or not vim.api.nvim_buf_is_valid(bufnr) then
      return
    end
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
    for _, hint in ipairs(result or {}) do
      pcall(vim.api.nvim_buf_set_extmark, bufnr, M.ns, hint.position.line, 0, {
        virt_text = { { label_text(hint.label), 'Comment' } },
        virt_text_pos = 'eol',
      })
    end
  end)
end

-- What runs when the server attaches to a buffer.
function M.attach(client, bufnr, cfg)
  local group = vim.api.nvim_create_augroup('splitdsl_buffer_' .. bufnr, { clear = true })
  local caps = client.server_capabilities or {}
  if cfg.hints ~= false and caps.inlayHintProvider then
    if vim.lsp.inlay_hint and type(vim.lsp.inlay_hint.enable) == 'function' then
      pcall(vim.lsp.inlay_hint.enable, true, { bufnr = bufnr })
    else
      M.draw_hints(bufnr)
      vim.api.nvim_create_autocmd({ 'TextChanged', 'InsertLeave' }, {
        group = group,
        buffer = bufnr,
        callback = function()
          M.draw_hints(bufnr)
        end,
      })
    end
  end
  if cfg.codelens ~= false and vim.lsp.codelens and caps.codeLensProvider then
    local refresh = function()
      if vim.fn.has('nvim-0.10') == 1 then
        pcall(vim.lsp.codelens.refresh, { bufnr = bufnr })
      elseif vim.api.nvim_get_current_buf() == bufnr then
        pcall(vim.lsp.codelens.refresh)
      end
    end
    refresh()
    vim.api.nvim_create_autocmd({ 'BufEnter', 'TextChanged', 'InsertLeave' }, {
      group = group,
      buffer = bufnr,
      callback = refresh,
    })
  end
  if cfg.on_attach then
    cfg.on_attach(client, bufnr)
  end
end

-- The configuration `setup` uses: the defaults, overridden by `opts`.
function M.config(opts)
  return vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
end

-- The project root of a buffer: the nearest directory above it holding a root marker,
-- else the file's own directory.
function M.root_dir(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= '' and vim.fn.fnamemodify(name, ':p:h') or vim.fn.getcwd()
  for _, marker in ipairs(markers or M.defaults.root_markers) do
    -- A marker may be a directory (.git) or a file (.git in a worktree).
    local found = vim.fn.finddir(marker, dir .. ';')
    if found == '' then
      found = vim.fn.findfile(marker, dir .. ';')
    end
    if found ~= '' then
      return vim.fn.fnamemodify(vim.fn.fnamemodify(found, ':p'):gsub('/$', ''), ':h')
    end
  end
  return dir
end

local clients_by_root = {} -- Neovim 0.7 only: root -> client id

-- Starts (or reuses) the server for one buffer; returns the client id.
function M.start(bufnr, opts)
  local cfg = M.config(opts)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = M.root_dir(bufnr, cfg.root_markers)
  local client = {
    name = 'splitdsl',
    cmd = cfg.cmd,
    root_dir = root,
    on_attach = function(c, b)
      M.attach(c, b, cfg)
    end,
  }
  if vim.lsp.start then
    return vim.lsp.start(client, { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client(client)
    clients_by_root[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

-- Registers the server for splitdsl buffers. Returns how: 'enable' (>= 0.11) or 'autocmd'.
function M.setup(opts)
  local cfg = M.config(opts)
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    vim.lsp.config('splitdsl', {
      cmd = cfg.cmd,
      filetypes = cfg.filetypes,
      root_markers = cfg.root_markers,
      on_attach = function(c, b)
        M.attach(c, b, cfg)
      end,
    })
    vim.lsp.enable('splitdsl')
    return 'enable'
  end
  local group = vim.api.nvim_create_augroup('splitdsl_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = cfg.filetypes,
    callback = function(args)
      M.start(args.buf, cfg)
    end,
  })
  -- Buffers already open when setup runs.
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(cfg.filetypes, vim.bo[buf].filetype) then
      M.start(buf, cfg)
    end
  end
  return 'autocmd'
end

return M
