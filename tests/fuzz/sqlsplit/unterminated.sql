SELECT 'open
; SELECT "x
/* never closed