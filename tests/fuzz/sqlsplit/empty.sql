;;; -- only comments
/* */ ;
