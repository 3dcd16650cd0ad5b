// The .mmu scenario language (see docs/language.md and /work/shared/design/language.md).
//
// Layout: newlines are whitespace. Every statement and setting is self-delimiting (it starts
// with a keyword or a name and no statement starts with an operator, a literal or '('), so a
// ';' is only needed to put two things on one line for readability, and is always optional.
// Kernel paths in command form take literal arguments only (`memslot_delete 0`,
// `mmu_notifier_invalidate 0x0 .. 0x200000`); computed arguments use the call form
// (`mmu_notifier_invalidate(start .. end)`), which keeps a bare command followed by a
// statement on the next line unambiguous.
//
// No actions: the interpreter's AstBuilder visits the labelled alternatives.
grammar Mmu;

// ---------------------------------------------------------------- files

file
    : topItem* EOF
    ;

topItem
    : IMPORT STRING                                          # importItem
    | pathDecl                                               # pathItem
    | scenarioDecl                                           # scenarioItem
    | GLOBAL IDENT ASSIGN expr                               # globalItem
    | SEMI                                                   # emptyTopItem
    ;

scenarioDecl
    : TAG* SCENARIO STRING outline? LBRACE scenarioMember* RBRACE
    ;

outline
    : FOR outlineVar (COMMA outlineVar)*
    ;

outlineVar
    : name=outlineName IN LBRACK expr (COMMA expr)* RBRACK
    ;

outlineName
    : IDENT
    | VCPUS
    ;

scenarioMember
    : VM LBRACE (vmSetting | SEMI)* RBRACE                   # vmMember
    | MEMSLOT id=expr LBRACE (memslotSetting | SEMI)* RBRACE # memslotMember
    | VCPUS expr                                             # vcpusMember
    | SETUP block                                            # setupMember
    | THREAD VCPU expr block                                 # vcpuThreadMember
    | THREAD IDENT block                                     # namedThreadMember
    | pathDecl                                               # pathMember
    | EXPLORE LBRACE (exploreSetting | SEMI)* RBRACE         # exploreMember
    | expectation                                            # expectMember
    | SEMI                                                   # emptyMember
    ;

// ---------------------------------------------------------------- machine

vmSetting
    : MMU flavour=(TDP | SHADOW | BOTH)                         # mmuSetting
    | NX_HUGE_PAGES onOff                                    # nxHugePagesSetting
    | NX_RECOVERY_RATIO expr                                 # nxRecoveryRatioSetting
    | EAGER_PAGE_SPLIT onOff                                 # eagerPageSplitSetting
    | PML onOff                                              # pmlSetting
    | FLUSH_REMOTE_TLBS_RANGE onOff                          # flushRemoteTlbsRangeSetting
    | TDP_LEVELS expr                                        # tdpLevelsSetting
    | PREEMPT model=(FULL | VOLUNTARY | NONE)                # preemptSetting
    | KERNEL (major=DECIMAL DOT minor=DECIMAL | IDENT)       # kernelSetting
    | QUIRK name=IDENT onOff                                 # quirkSetting
    ;

onOff
    : ON
    | OFF
    ;

memslotSetting
    : GPA expr                                               # gpaSetting
    | SIZE expr                                              # sizeSetting
    | BACKING expr                                           # backingSetting
    | FLAGS memslotFlag (COMMA? memslotFlag)*                # flagsSetting
    | GUP_FAST_MAY_FAIL onOff                                # gupFastMayFailSetting
    ;

memslotFlag
    : DIRTY_LOG
    | READONLY
    ;

// ---------------------------------------------------------------- exploration and expectations

exploreSetting
    : PREEMPTIONS LE expr                                    # preemptionsSetting
    | STRATEGY kind=(EXHAUSTIVE | DFS | BFS | RANDOM | PCT)  # strategySetting
    | RUNS expr                                              # runsSetting
    | SEED expr                                              # seedSetting
    | MAX_STATES expr                                        # maxStatesSetting
    | TIME DURATION                                          # timeSetting
    | SYMMETRY VCPUS                                         # symmetrySetting
    ;

expectation
    : EXPECT FAILS? NEVER IDENT                              # expectNever
    | EXPECT FAILS? ALWAYS expr                              # expectAlways
    | EXPECT FAILS? FINAL expr                               # expectFinal
    | EXPECT FAILS? REACHABLE expr                           # expectReachable
    | EXPECT VIOLATION IDENT                                 # expectViolation
    | EXPECT FAILS? TERMINATES                               # expectTerminates
    | EXPECT FAILS? MAX IDENT LE expr                        # expectMax
    | EXPECT FAILS ASSERT                                    # expectFailsAssert
    ;

// ---------------------------------------------------------------- paths and statements

// `-> bool` (or int): the path returns a value, by a `return e` on every way through it. `return`
// stands anywhere in a path, as the kernel's early returns do; a bare one ends a path with no value.
// `goto NAME` jumps to `NAME:` in the same block or one enclosing it, forward (the kernel's
// `goto out_unlock`) or back (`goto restart`).
pathDecl
    : PATH IDENT LPAREN (param (COMMA param)*)? RPAREN (ARROW result=IDENT)? block
    ;

// A keyword as a parameter name (`gpa`) parses, so that the builder can say why it is refused.
param
    : name=word (COLON type=IDENT)?
    ;

block
    : LBRACE (statement | SEMI)* RBRACE
    ;

statement
    : (VCPU vcpu=expr)? NESTED? access=(READ | WRITE | EXEC) expr    # accessStmt
    | LOCK lockMode=(READ | WRITE) lockName?                     # lockStmt
    | UNLOCK lockName?                                       # unlockStmt
    | YIELD                                                  # yieldStmt
    | ifStatement                                            # ifStmt
    | LET IDENT ASSIGN expr                                  # letStmt
    | IDENT op=(ASSIGN | OR_ASSIGN) expr                     # assignStmt
    | WHILE expr block                                       # whileStmt
    | FOR IDENT IN (LPAGE_DISALLOWED | call) TAKE expr block # forLpageStmt // the call: possible_nx_huge_pages(t)
    | FOR IDENT IN TDP_PTE LPAREN expr COMMA range RPAREN block # forTdpPteStmt
    | FOR IDENT IN IDENT TAKE expr block                     # forTakeStmt // refused, with the fix
    | FOR IDENT IN expr block                                # forUnknownStmt
    | REPEAT expr block                                      # repeatStmt
    | ATOMIC block                                           # atomicStmt
    | CHOOSE block (OR_BRANCH block)+                        # chooseStmt
    | ASSERT expr                                            # assertStmt
    | (BREAK | CONTINUE)                                     # breakStmt
    | RETURN expr?                                           # returnStmt
    | GOTO IDENT                                             # gotoStmt
    | IDENT COLON                                            # labelStmt // a goto's target, C's `out_unlock:`
    | call                                                   # callStmt
    | IDENT commandArg*                                      # commandStmt
    ;

ifStatement
    : IF expr block (ELSE (block | ifStatement))?
    ;

lockName
    : MMU_LOCK
    | SLOTS_LOCK
    | SRCU
    | TDP_MMU_PAGES_LOCK
    | MMU_UNSYNC_PAGES_LOCK
    ;

commandArg
    : literal (DOTDOT literal)?
    ;

range
    : expr DOTDOT expr
    ;

// ---------------------------------------------------------------- expressions

expr
    : primary                                                # primaryExpr
    | expr DOT word                                          # fieldExpr
    | op=(NOT | MINUS) expr                                  # unaryExpr
    | expr op=(STAR | SLASH | PERCENT) expr                  # mulExpr
    | expr op=(PLUS | MINUS | PIPE) expr                     # addExpr
    | expr op=(LT | LE | GT | GE) expr                       # relExpr
    | expr op=(EQ | NE) expr                                 # eqExpr
    | expr AND expr                                          # andExpr
    | expr OR expr                                           # orExpr
    ;

primary
    : literal                                                # literalPrimary
    | call                                                   # callPrimary
    | NEED_RESCHED LPAREN RPAREN                             # needReschedCallPrimary // refused, with the fix
    | name=(IDENT | VM | VCPUS | LPAGE_DISALLOWED | NEED_RESCHED | GPA) # namePrimary
    | LPAREN expr RPAREN                                     # parenPrimary
    ;

literal
    : DECIMAL                                                # decimalLiteral
    | HEXADECIMAL                                            # hexLiteral
    | BYTESIZE                                               # sizeLiteral
    | TRUE                                                   # trueLiteral
    | FALSE                                                  # falseLiteral
    ;

call
    : IDENT LPAREN (arg (COMMA arg)*)? RPAREN
    ;

// A keyword that is never a value, alone as an argument (`f(vcpu)`, pasted from C), parses so that
// the builder can say why it is refused.
arg
    : (name=word COLON)? (expr (DOTDOT end=expr)? | bare=nonValueKeyword)
    ;

// A field or argument name may be spelt like a keyword (`spte(x).exec`, `vm.tdp_levels`).
word
    : IDENT
    | keyword
    ;

keyword
    : nonValueKeyword
    | VM | VCPUS | LPAGE_DISALLOWED | NEED_RESCHED | GPA | TRUE | FALSE // a name or a literal in primary
    ;

nonValueKeyword
    : IMPORT | SCENARIO | FOR | IN | MEMSLOT | VCPU | SETUP | THREAD | PATH
    | EXPLORE | EXPECT | MMU | TDP | SHADOW | BOTH | NX_HUGE_PAGES | NX_RECOVERY_RATIO
    | EAGER_PAGE_SPLIT | PML | FLUSH_REMOTE_TLBS_RANGE | TDP_LEVELS | PREEMPT | KERNEL | QUIRK | FULL | VOLUNTARY | NONE | ON | OFF
    | SIZE | BACKING | FLAGS | DIRTY_LOG | GUP_FAST_MAY_FAIL
    | READONLY | PREEMPTIONS | STRATEGY | EXHAUSTIVE | DFS | BFS | RANDOM | PCT | RUNS | SEED
    | MAX_STATES | TIME | SYMMETRY | NEVER | ALWAYS | FINAL | REACHABLE | VIOLATION
    | TERMINATES | MAX | NESTED | READ | WRITE | EXEC | LOCK | UNLOCK | YIELD | IF | ELSE
    | LET | WHILE | TAKE | TDP_PTE | REPEAT | ATOMIC
    | ASSERT | BREAK | CONTINUE | RETURN | GOTO | MMU_LOCK | SLOTS_LOCK | SRCU | TDP_MMU_PAGES_LOCK
    | MMU_UNSYNC_PAGES_LOCK | FAILS | CHOOSE | OR_BRANCH | GLOBAL
    ;

// ---------------------------------------------------------------- lexer: keywords

IMPORT                : 'import' ;
SCENARIO              : 'scenario' ;
FOR                   : 'for' ;
IN                    : 'in' ;
VM                    : 'vm' ;
MEMSLOT               : 'memslot' ;
VCPUS                 : 'vcpus' ;
VCPU                  : 'vcpu' ;
SETUP                 : 'setup' ;
THREAD                : 'thread' ;
PATH                  : 'path' ;
EXPLORE               : 'explore' ;
EXPECT                : 'expect' ;
MMU                   : 'mmu' ;
TDP                   : 'tdp' ;
SHADOW                : 'shadow' ;
BOTH                  : 'both' ;
NX_HUGE_PAGES         : 'nx_huge_pages' ;
NX_RECOVERY_RATIO     : 'nx_recovery_ratio' ;
EAGER_PAGE_SPLIT      : 'eager_page_split' ;
PML                   : 'pml' ;
FLUSH_REMOTE_TLBS_RANGE : 'flush_remote_tlbs_range' ;
TDP_LEVELS            : 'tdp_levels' ;
PREEMPT               : 'preempt' ;
KERNEL                : 'kernel' ;
QUIRK                 : 'quirk' ;
FULL                  : 'full' ;
VOLUNTARY             : 'voluntary' ;
NONE                  : 'none' ;
ON                    : 'on' ;
OFF                   : 'off' ;
GPA                   : 'gpa' ;
SIZE                  : 'size' ;
BACKING               : 'backing' ;
FLAGS                 : 'flags' ;
DIRTY_LOG             : 'dirty_log' ;
READONLY              : 'readonly' ;
GUP_FAST_MAY_FAIL     : 'gup_fast_may_fail' ;
PREEMPTIONS           : 'preemptions' ;
STRATEGY              : 'strategy' ;
EXHAUSTIVE            : 'exhaustive' ;
DFS                   : 'dfs' ;          // the command line's word for it
BFS                   : 'bfs' ;
RANDOM                : 'random' ;
PCT                   : 'pct' ;
RUNS                  : 'runs' ;
SEED                  : 'seed' ;
MAX_STATES            : 'max_states' ;
TIME                  : 'time' ;
SYMMETRY              : 'symmetry' ;
NEVER                 : 'never' ;
ALWAYS                : 'always' ;
FINAL                 : 'final' ;
REACHABLE             : 'reachable' ;
VIOLATION             : 'violation' ;
TERMINATES            : 'terminates' ;
MAX                   : 'max' ;
NESTED                : 'nested' ;
READ                  : 'read' ;
WRITE                 : 'write' ;
EXEC                  : 'exec' ;
LOCK                  : 'lock' ;
UNLOCK                : 'unlock' ;
YIELD                 : 'yield' ;
IF                    : 'if' ;
ELSE                  : 'else' ;
NEED_RESCHED          : 'need_resched' ;
LET                   : 'let' ;
WHILE                 : 'while' ;
LPAGE_DISALLOWED      : 'lpage_disallowed' ;
TAKE                  : 'take' ;
TDP_PTE               : 'tdp_pte' ;
REPEAT                : 'repeat' ;
ATOMIC                : 'atomic' ;
ASSERT                : 'assert' ;
BREAK                 : 'break' ;
CONTINUE              : 'continue' ;
RETURN                : 'return' ;
GOTO                  : 'goto' ;
MMU_LOCK              : 'mmu_lock' ;
SLOTS_LOCK            : 'slots_lock' ;
SRCU                  : 'srcu' ;
TDP_MMU_PAGES_LOCK    : 'tdp_mmu_pages_lock' ;
MMU_UNSYNC_PAGES_LOCK : 'mmu_unsync_pages_lock' ;
TRUE                  : 'true' ;
FALSE                 : 'false' ;
FAILS                 : 'fails' ;
CHOOSE                : 'choose' ;
GLOBAL                : 'global' ;
OR_BRANCH             : 'or' ;

// ---------------------------------------------------------------- lexer: literals and punctuation

// Sizes: 4K, 2M, 1G (binary units: 4K = 4096). Underscores group digits: 0x1_0000_0000.
BYTESIZE    : [0-9] [0-9_]* [KMG] ;
DURATION    : [0-9] [0-9_]* ('ms' | 's' | 'm') ;
HEXADECIMAL : '0' [xX] [0-9a-fA-F] [0-9a-fA-F_]* ;
DECIMAL     : [0-9] [0-9_]* ;
STRING      : '"' (~["\\\r\n] | '\\' .)* '"' ;
TAG         : '@' [a-zA-Z_] [a-zA-Z0-9_-]* ;
IDENT       : [a-zA-Z_] [a-zA-Z0-9_]* ;

DOTDOT    : '..' ;
ARROW     : '->' ;
DOT       : '.' ;
LBRACE    : '{' ;
RBRACE    : '}' ;
LPAREN    : '(' ;
RPAREN    : ')' ;
LBRACK    : '[' ;
RBRACK    : ']' ;
COMMA     : ',' ;
COLON     : ':' ;
SEMI      : ';' ;
OR_ASSIGN : '|=' ;
OR        : '||' ;
AND       : '&&' ;
EQ        : '==' ;
NE        : '!=' ;
LE        : '<=' ;
GE        : '>=' ;
LT        : '<' ;
GT        : '>' ;
ASSIGN    : '=' ;
NOT       : '!' ;
PLUS      : '+' ;
MINUS     : '-' ;
STAR      : '*' ;
SLASH     : '/' ;
PERCENT   : '%' ;
PIPE      : '|' ;

LINE_COMMENT  : ('#' | '//') ~[\r\n]* -> channel(HIDDEN) ;  // kept for mmu fmt
WS            : [ \t\r\n\f]+ -> skip ;
// Anything else is one bad character; the parser reports it with its position.
BAD_CHAR      : . ;
