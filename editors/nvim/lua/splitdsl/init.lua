-- Starts the splitdsl language server (`splitdsl lsp`) with Neovim's built-in client.
--
--   require('splitdsl').setup()                                    -- `splitdsl` on PATH
--   require('splitdsl').setup({ cmd = { '/path/to/splitdsl', 'lsp' } })
--
-- Neovim >= 0.11: vim.lsp.config + vim.lsp.enable. Neovim 0.8 to 0.10: vim.lsp.start from
-- a FileType autocommand. Neovim 0.7 (Debian 12): vim.lsp.start_client and
-- vim.lsp.buf_attach_client, one client per project root.
local M = {}

M.defaults = {
  cmd = { 'splitdsl', 'lsp' },
  filetypes = { 'splitdsl' },
  root_markers = { '.git' },
}

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
  local client = { name = 'splitdsl', cmd = cfg.cmd, root_dir = root, on_attach = cfg.on_attach }
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
      on_attach = cfg.on_attach,
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
