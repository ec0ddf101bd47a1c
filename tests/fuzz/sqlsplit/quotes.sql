SELECT 'a''b', "c\"d", `e``f` FROM t; -- c
SELECT 1 # x
; /* a ; b */ SELECT /*!50001 2 */;
