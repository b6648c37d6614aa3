-- editors/nvim against the real server (run by test/run.sh when `splitdsl lsp` exists):
-- open examples/hotmart.split with this folder's setup(), and read back from the server the
-- amounts the issue promises beside the lines (10.40, 31.36, 5.82, 52.42) as inlay hints,
-- and a diagnostic for a file with an error. Exits 0 when every check passes, 1 otherwise.
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

local ok, err = pcall(function()
  require('splitdsl').setup()
  local example = os.getenv('SPLITDSL_EXAMPLE')
  vim.cmd('edit ' .. vim.fn.fnameescape(example))
  local buf = vim.api.nvim_get_current_buf()
  local client
  local ready = vim.wait(20000, function()
    local cs = clients_of(buf)
    if #cs == 1 and cs[1].initialized ~= false and cs[1].server_capabilities ~= nil then
      client = cs[1]
      return true
    end
    return false
  end, 50)
  check('the server started and initialized', ready)
  if not ready then
    return
  end
  local labels, response = {}, nil
  local answered = false
  call(client, 'request', 'textDocument/inlayHint', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = vim.api.nvim_buf_line_count(buf), character = 0 } },
  }, function(e, result)
    response = e or result
    for _, h in ipairs(result or {}) do
      local label = h.label
      if type(label) == 'table' then
        local parts = {}
        for _, p in ipairs(label) do
          table.insert(parts, p.value)
        end
        label = table.concat(parts)
      end
      labels[h.position.line + 1] = (labels[h.position.line + 1] or '') .. label
    end
    answered = true
  end, buf)
  vim.wait(20000, function() return answered end, 50)
  check('inlay hints answered', answered and next(labels) ~= nil, vim.inspect(response))
  local want = { { 'fee hotmart', '10.40' }, { 'share affiliate', '31.36' }, { 'share coproducer', '5.82' },
    { 'share producer', '52.42' } }
  for _, w in ipairs(want) do
    local lnum
    for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      if vim.startswith(line, w[1]) then
        lnum = i
      end
    end
    local label = lnum and labels[lnum] or nil
    check(('%s: %s beside line %s (%s)'):format(w[1], w[2], tostring(lnum), tostring(label)),
      label ~= nil and label:find(w[2], 1, true) ~= nil, label)
  end

  -- What the user sees: on Neovim >= 0.10 the built-in inlay hints are on; before, setup()
  -- draws the hints as end-of-line text.
  if vim.lsp.inlay_hint and vim.lsp.inlay_hint.is_enabled then
    local on = vim.wait(10000, function()
      return vim.lsp.inlay_hint.is_enabled({ bufnr = buf })
    end, 50)
    check('inlay hints enabled in the buffer (vim.lsp.inlay_hint)', on)
  end
  local ns = require('splitdsl').ns
  local function drawn()
    local out = {}
    for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
      out[m[2] + 1] = (out[m[2] + 1] or '') .. m[4].virt_text[1][1]
    end
    return out
  end
  if not (vim.lsp.inlay_hint and vim.lsp.inlay_hint.enable) then
    local shown = vim.wait(20000, function()
      local d = drawn()
      return d[6] ~= nil and d[6]:find('10.40', 1, true) ~= nil
    end, 50)
    local d = drawn()
    check('drawn beside the lines: ' .. table.concat({ tostring(d[6]), tostring(d[9]), tostring(d[10]), tostring(d[11]) }, ' | '),
      shown and d[9] ~= nil and d[9]:find('31.36', 1, true) ~= nil and d[10] ~= nil and d[10]:find('5.82', 1, true) ~= nil
        and d[11] ~= nil and d[11]:find('52.42', 1, true) ~= nil)
    -- An edit: the price doubles, the fee follows (9.9% of 200.00 + 0.50 = 20.30).
    vim.api.nvim_buf_set_lines(buf, 3, 4, false, { 'price = 200.00 USD' })
    vim.cmd('doautocmd TextChanged')
    local moved = vim.wait(20000, function()
      local e = drawn()
      return e[6] ~= nil and e[6]:find('20.30', 1, true) ~= nil
    end, 50)
    check('after an edit of the price the fee beside line 6 is 20.30: ' .. tostring(drawn()[6]), moved)
    vim.cmd('silent! undo')
  end

  -- Code lenses on the example (line 15) and the requirement (line 13), refreshed by setup().
  local lensed = vim.wait(20000, function()
    local lines = {}
    for _, l in ipairs(vim.lsp.codelens.get(buf) or {}) do
      if l.command and l.command.title:find('✓', 1, true) then
        lines[l.range.start.line + 1] = true
      end
    end
    return lines[13] and lines[15]
  end, 50)
  local titles = {}
  for _, l in ipairs(vim.lsp.codelens.get(buf) or {}) do
    table.insert(titles, (l.range.start.line + 1) .. ': ' .. (l.command and l.command.title or '?'))
  end
  check('code lenses ✓ on the require and the example: ' .. table.concat(titles, ' | '), lensed)

  -- A file with an error: a diagnostic arrives.
  local bad = vim.fn.tempname() .. '.split'
  vim.fn.writefile({ 'price = 100.00 USD', 'fee platform = 10% of pricee', 'share producer = remaining' }, bad)
  vim.cmd('edit! ' .. vim.fn.fnameescape(bad))
  local badbuf = vim.api.nvim_get_current_buf()
  local got = vim.wait(20000, function() return #vim.diagnostic.get(badbuf) > 0 end, 50)
  local d = vim.diagnostic.get(badbuf)[1]
  check('a diagnostic on the misspelt name (line 2)', got and d ~= nil and d.lnum == 1,
    d and (d.lnum .. ': ' .. d.message) or 'none')
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
