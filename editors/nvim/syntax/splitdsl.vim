" Vim syntax file for splitdsl agreements (*.split).
" The language server's semantic tokens refine this when `splitdsl lsp` runs.
if exists('b:current_syntax')
  finish
endif

syn case match

" Numbers, in order of preference: dates, rates and money, percentages, plain numbers.
syn match splitdslNumber   '\<\d\+\%(_\d\+\)*\%(\.\d\+\)\=\>'
syn match splitdslPercent  '\<\d\+\%(_\d\+\)*\%(\.\d\+\)\=%'
syn match splitdslMoney    '\<\d\+\%(_\d\+\)*\%(\.\d\+\)\= *\u\{3}\%( */ *\u\{3}\)\=\>' contains=splitdslCurrency
syn match splitdslCurrency '\u\{3}' contained
syn match splitdslDate     '\<\d\{4,}-\d\d-\d\d\>'

" Names where they are defined: cells (NAME = …) and the names after a declaring word.
syn match splitdslDefinition '^\s*\zs\h\w*\ze\s*=[=>]\@!'
syn match splitdslDefinition '\%(^\s*\%(input\|fee\|share\|table\)\s\+\)\@<=\h\w*'
" The members of a group share: `share (bruno "Bruno": 2, dora, eli) = …`.
syn match splitdslDefinition '\%(^\s*share\s*(.*\)\@<=\%([(,]\s*\)\@<=\h\w*\ze\s*\%("\|:\|,\|)\)'

" Contextual words: statements only in these places, names everywhere else.
syn match splitdslContextual '^\s*\zsbrackets\ze\s\+\h\w*\s*\%({\|#\|$\)'
syn match splitdslDefinition '\%(^\s*brackets\s\+\)\@<=\h\w*\ze\s*\%({\|#\|$\)'
syn match splitdslContextual '^\s*\zsrunning\ze\s\+\h\w*\s*=[=>]\@!'
syn match splitdslDefinition '\%(^\s*running\s\+\)\@<=\h\w*\ze\s*=[=>]\@!'
syn match splitdslContextual '\%(^\s*running\s\+\h\w*\s*=\s*\)\@<=sum\>'
syn match splitdslContextual '\%(^\s*running\>.*\)\@<=\<per\ze\s\+\h\w*\s*\%(#.*\)\=$'

syn match splitdslRounding '\%(^\s*rounding\s\+\)\@<=\%(half_up\|half_even\|half_down\|up\|down\|floor\|ceiling\)\>'

syn keyword splitdslStatement   agreement rounding input fee share table require example given expect
syn keyword splitdslConditional if then else when
syn keyword splitdslOperator    and or not of
syn keyword splitdslBoolean     true false
syn keyword splitdslRemaining   remaining
syn match   splitdslCall        '\<\h\w*\ze\s*(' contains=splitdslStatement,splitdslConditional,splitdslOperator
syn match   splitdslFunction    '\<\%(min\|max\|abs\|round\|floor\|ceil\|clamp\)\ze\s*('
syn match   splitdslSymbol      '=>\|\.\.\|[-+*/<>=!]=\=\|[{}]'

syn match  splitdslEscape  '\\[\\"nt]' contained
syn region splitdslString  start='"' skip='\\\\\|\\"' end='"\|$' oneline contains=splitdslEscape
syn match  splitdslComment '#.*$' contains=@Spell

hi def link splitdslNumber      Number
hi def link splitdslPercent     Number
hi def link splitdslMoney       Number
hi def link splitdslCurrency    Type
hi def link splitdslDate        Constant
hi def link splitdslDefinition  Identifier
hi def link splitdslContextual  Statement
hi def link splitdslStatement   Statement
hi def link splitdslRounding    Constant
hi def link splitdslConditional Conditional
hi def link splitdslOperator    Operator
hi def link splitdslSymbol      Operator
hi def link splitdslBoolean     Boolean
hi def link splitdslRemaining   Special
hi def link splitdslFunction    Function
hi def link splitdslCall        Function
hi def link splitdslEscape      SpecialChar
hi def link splitdslString      String
hi def link splitdslComment     Comment

let b:current_syntax = 'splitdsl'
