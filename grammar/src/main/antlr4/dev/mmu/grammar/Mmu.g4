grammar Mmu;
file : EOF ;
WS : [ \t\r\n]+ -> skip ;
