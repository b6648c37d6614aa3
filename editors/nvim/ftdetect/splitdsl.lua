-- *.split files are splitdsl agreements.
if vim.filetype and vim.filetype.add and vim.fn.has('nvim-0.8') == 1 then
  vim.filetype.add({ extension = { split = 'splitdsl' } })
else
  -- Neovim 0.7 (Debian 12's): filetype.vim reads this file; set the filetype from an autocmd.
  vim.cmd([[autocmd BufRead,BufNewFile *.split setfiletype splitdsl]])
end
