-- Headless smoke test of editors/nvim (run by test/run.sh): the filetype of *.split, the
-- buffer options, the syntax groups, and the server start — `splitdsl` on PATH is the
-- stand-in test/fake-splitdsl, which records its arguments and the messages it receives.
-- Exits 0 when every check passes, 1 otherwise.
local failures, passed = 0, 0
local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    io.stdout:write('ok   ' .. name .. '\n')
  else
    failures = failures + 1
    io.stdout:write('FAIL ' .. name .. (detail and (': ' .. tostring(detail)) or '') .. '\n')
  end
end

local log = assert(os.getenv('SPLITDSL_FAKE_LOG'), 'SPLITDSL_FAKE_LOG unset')
local example = assert(os.getenv('SPLITDSL_EXAMPLE'), 'SPLITDSL_EXAMPLE unset')

local function fake_log()
  local out = {}
  local f = io.open(log, 'r')
  if not f then
    return out
  end
  for line in f:lines() do
    table.insert(out, vim.fn.json_decode(line))
  end
  f:close()
  return out
end

-- Client methods: `client:m()` from Neovim 0.11 (where `client.m()` is deprecated), `client.m()` before.
local function call(client, method, ...)
  if vim.fn.has('nvim-0.11') == 1 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function clients_of(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr })
  end
  local out = {}
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
    table.insert(out, c)
  end
  return out
end

local function syn_at(lnum, text, which)
  local line = vim.fn.getline(lnum)
  local start = 1
  for _ = 1, (which or 1) do
    start = string.find(line, text, start, true)
    if not start then
      return 'no ' .. text .. ' on line ' .. lnum
    end
    start = start + 1
  end
  return vim.fn.synIDattr(vim.fn.synID(lnum, start - 1, 1), 'name')
end

local ok, err = pcall(function()
  local splitdsl = require('splitdsl')
  local how = splitdsl.setup()
  check('setup() on Neovim ' .. tostring(vim.version().major) .. '.' .. tostring(vim.version().minor),
    how == 'enable' or how == 'autocmd', how)

  vim.cmd('edit ' .. vim.fn.fnameescape(example))
  local buf = vim.api.nvim_get_current_buf()
  check('filetype of ' .. example, vim.bo.filetype == 'splitdsl', vim.bo.filetype)
  check("commentstring '# %s'", vim.bo.commentstring == '# %s', vim.bo.commentstring)
  check("comments ':#'", vim.bo.comments == ':#', vim.bo.comments)

  -- The server: started once, as `splitdsl lsp`, and told about the file.
  local opened = vim.wait(10000, function()
    for _, e in ipairs(fake_log()) do
      if e.method == 'textDocument/didOpen' then
        return true
      end
    end
    return false
  end, 50)
  check('the server received textDocument/didOpen', opened)
  local entries = fake_log()
  local argvs, methods, didopen, init = {}, {}, nil, nil
  for _, e in ipairs(entries) do
    if e.argv then
      table.insert(argvs, e.argv)
    elseif e.method then
      table.insert(methods, e.method)
      if e.method == 'textDocument/didOpen' then
        didopen = e
      elseif e.method == 'initialize' then
        init = e
      end
    end
  end
  check('one server process', #argvs == 1, vim.inspect(argvs))
  check('started as `splitdsl lsp`', vim.deep_equal(argvs[1], { 'lsp' }), vim.inspect(argvs[1]))
  check('initialize, then initialized, then didOpen',
    methods[1] == 'initialize' and methods[2] == 'initialized' and methods[3] == 'textDocument/didOpen',
    vim.inspect(methods))
  check('didOpen is the .split file, language splitdsl',
    didopen ~= nil and didopen.languageId == 'splitdsl' and vim.endswith(didopen.uri, '/examples/hotmart.split'),
    vim.inspect(didopen))
  check('the root is the repository (the nearest .git)',
    init ~= nil and init.rootUri == vim.uri_from_fname(vim.fn.fnamemodify(os.getenv('SPLITDSL_REPO'), ':p'):gsub('/$', '')),
    vim.inspect(init))
  -- Neovim < 0.10: the inlay hints drawn as end-of-line text (the stand-in answers one).
  if not (vim.lsp.inlay_hint and vim.lsp.inlay_hint.enable) then
    local drawn = vim.wait(5000, function()
      for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, splitdsl.ns, 0, -1, { details = true })) do
        local vt = m[4].virt_text
        if m[2] == 0 and vt and vt[1][1] == '→ fake 1.23 USD' then
          return true
        end
      end
      return false
    end, 50)
    check('the server\'s inlay hint drawn at the end of its line', drawn,
      vim.inspect(vim.api.nvim_buf_get_extmarks(buf, splitdsl.ns, 0, -1, { details = true })))
  end
  local clients = clients_of(buf)
  check('one client attached, named splitdsl', #clients == 1 and clients[1].name == 'splitdsl',
    #clients == 1 and clients[1].name or #clients)

  -- A second .split file in the same project shares the server.
  vim.cmd('edit ' .. vim.fn.fnameescape(vim.fn.fnamemodify(example, ':h') .. '/rounding.split'))
  local second = vim.wait(5000, function()
    local n = 0
    for _, e in ipairs(fake_log()) do
      if e.method == 'textDocument/didOpen' then
        n = n + 1
      end
    end
    return n == 2
  end, 50)
  local processes = 0
  for _, e in ipairs(fake_log()) do
    if e.argv then
      processes = processes + 1
    end
  end
  check('a second file is opened on the same server', second and processes == 1, processes)
  vim.cmd('buffer ' .. buf)

  -- Syntax (for Neovim without semantic tokens, and before the server answers).
  vim.cmd('syntax on')
  local syntax = {
    { 6, 'fee', 1, 'splitdslStatement' },
    { 6, 'hotmart', 1, 'splitdslDefinition' },
    { 6, 'Hotmart fee', 1, 'splitdslString' },
    { 6, '9.9%', 1, 'splitdslPercent' },
    { 6, 'of', 1, 'splitdslOperator' },
    { 6, 'USD', 1, 'splitdslCurrency' },
    { 7, 'net', 1, 'splitdslDefinition' },
    { 7, '# a cell', 1, 'splitdslComment' },
    { 11, 'remaining', 1, 'splitdslRemaining' },
    { 13, '30% of the net', 1, 'splitdslString' },
    { 15, 'example', 1, 'splitdslStatement' },
  }
  for _, s in ipairs(syntax) do
    local got = syn_at(s[1], s[2], s[3])
    check(('syntax line %d %q is %s'):format(s[1], s[2], s[4]), got == s[4], got)
  end
  -- Tricky bits in a scratch buffer: contextual words, `#` in a string, money vs number.
  vim.cmd('enew')
  vim.api.nvim_buf_set_lines(0, 0, -1, false, {
    'brackets = 3',
    'running lifetime = sum of price per seller',
    'fee a "Fee #1" = 2 + 3.00 USD # real comment',
    'input d = 2025-03-10',
    'rounding half_even',
    'share (bruno "Bruno": 2, dora) = 10% of remaining',
  })
  vim.bo.filetype = 'splitdsl'
  local tricky = {
    { 1, 'brackets', 1, 'splitdslDefinition' },
    { 2, 'running', 1, 'splitdslContextual' },
    { 2, 'lifetime', 1, 'splitdslDefinition' },
    { 2, 'sum', 1, 'splitdslContextual' },
    { 2, 'per', 1, 'splitdslContextual' },
    { 3, '#1', 1, 'splitdslString' },
    { 3, '2', 1, 'splitdslNumber' },
    { 3, '3.00', 1, 'splitdslMoney' },
    { 3, '# real', 1, 'splitdslComment' },
    { 4, '2025', 1, 'splitdslDate' },
    { 5, 'half_even', 1, 'splitdslRounding' },
    { 6, 'share', 1, 'splitdslStatement' },
    { 6, 'bruno', 1, 'splitdslDefinition' },
    { 6, 'dora', 1, 'splitdslDefinition' },
    { 6, '10%', 1, 'splitdslPercent' },
  }
  for _, s in ipairs(tricky) do
    local got = syn_at(s[1], s[2], s[3])
    check(('syntax %q in %q is %s'):format(s[2], vim.fn.getline(s[1]), s[4]), got == s[4], got)
  end

  -- lsp/splitdsl.lua, read by vim.lsp.enable on Neovim >= 0.11.
  local files = vim.api.nvim_get_runtime_file('lsp/splitdsl.lua', false)
  local conf = #files == 1 and dofile(files[1]) or {}
  check('lsp/splitdsl.lua: cmd splitdsl lsp, filetype splitdsl',
    vim.deep_equal(conf.cmd, { 'splitdsl', 'lsp' }) and vim.deep_equal(conf.filetypes, { 'splitdsl' }),
    vim.inspect(conf))

  -- The Neovim >= 0.11 path of setup(), with vim.lsp.config / vim.lsp.enable recorded.
  local saved_config, saved_enable = vim.lsp.config, vim.lsp.enable
  local configured, enabled = {}, {}
  vim.lsp.config = function(name, cfg)
    configured[name] = cfg
  end
  vim.lsp.enable = function(name)
    table.insert(enabled, name)
  end
  local how11 = splitdsl.setup({ cmd = { '/opt/splitdsl/bin/splitdsl', 'lsp' } })
  vim.lsp.config, vim.lsp.enable = saved_config, saved_enable
  check('setup() on >= 0.11 calls vim.lsp.config and vim.lsp.enable',
    how11 == 'enable'
      and configured.splitdsl ~= nil
      and vim.deep_equal(configured.splitdsl.cmd, { '/opt/splitdsl/bin/splitdsl', 'lsp' })
      and vim.deep_equal(configured.splitdsl.filetypes, { 'splitdsl' })
      and vim.deep_equal(enabled, { 'splitdsl' }),
    vim.inspect({ how11, configured, enabled }))

  -- Shut the servers down cleanly (shutdown, then exit) before quitting.
  local all = (vim.lsp.get_clients or vim.lsp.get_active_clients)()
  for _, c in ipairs(all) do
    call(c, 'stop')
  end
  vim.wait(5000, function()
    for _, c in ipairs(all) do
      if not call(c, 'is_stopped') then
        return false
      end
    end
    return true
  end, 20)
end)
check('no error', ok, err)
io.stdout:write(('%d passed, %d failed\n'):format(passed, failures))
vim.cmd(failures == 0 and 'qall!' or 'cquit 1')
