-- Buffer options for splitdsl agreements: `#` starts a comment (gc / :commentary / `gq`).
if vim.b.did_ftplugin then
  return
end
vim.b.did_ftplugin = 1
vim.bo.commentstring = '# %s'
vim.bo.comments = ':#'
vim.bo.formatoptions = vim.bo.formatoptions:gsub('t', '') .. 'croql'
vim.b.undo_ftplugin = 'setlocal commentstring< comments< formatoptions<'
