-- The server's configuration for Neovim >= 0.11 (`:help lsp-config`): with editors/nvim
-- on 'runtimepath', `vim.lsp.enable('splitdsl')` alone starts `splitdsl lsp` for .split files.
return {
  cmd = { 'splitdsl', 'lsp' },
  filetypes = { 'splitdsl' },
  root_markers = { '.git' },
}
