// The .sgl language: ANTLR4 grammar, no embedded actions.
//
// Generated code lives only in the build tree. The token stream the parser sees is post-processed
// by compiler/parse.cpp (the one file that touches ANTLR), which does three context-dependent
// things a plain lexer cannot:
//   1. Newlines (NL) never reach the parser. A newline ends a statement (it becomes ';') when the
//      innermost open bracket is a '{' (or none), the last token can end a statement (a name, a
//      literal, ')', ']', '}', 'break', 'continue', 'return', 'gen'), and the next token is not
//      'else' or '{'. Everywhere else a newline is just whitespace.
//   2. A REGEX token right after an operand ("a / b / c") is division: it is split back into '/'.
//   3. Brackets nested more than 256 deep, more than 10,000 operators in one statement and other
//      inputs that would exhaust the parser's stack are rejected with a clear error.
// Interpolations "{expr}" inside strings are parsed from the STRING token's text with the
// `interpolation` entry rule. docs/language.md is the reference for what all this means.
grammar SGL;

// ---------------------------------------------------------------- declarations
program : (decl | ';')* EOF ;

decl
    : importDecl
    | fnDecl
    | schemaDecl
    | enumDecl
    ;

importDecl : 'import' IDENT ('.' IDENT)* ;

fnDecl : 'fn' IDENT '(' paramList? ')' ('->' typeRef)? block ;
paramList : param (',' param)* ','? ;
param : IDENT ':' typeRef ('=' expr)? ;

schemaDecl : 'schema' IDENT '{' sep* (field (sep+ field)* sep*)? '}' ;
field : IDENT '?'? ':' typeRef ;

enumDecl : 'enum' IDENT '{' sep* (enumValue (sep+ enumValue)* sep*)? '}' ;
enumValue : IDENT | STRING ;

sep : ',' | ';' ;

typeRef
    : IDENT ('[' typeRef ']')?                         # namedType
    | 'enum' '(' STRING (',' STRING)* ','? ')'         # inlineEnumType
    ;

// ---------------------------------------------------------------- statements
block : '{' stmt* '}' ;

stmt
    : 'let' IDENT (':' typeRef)? '=' expr                        # letStmt
    | IDENT op=('=' | '+=') expr                                 # assignStmt
    | ifStmt                                                     # ifStatement
    | 'for' IDENT 'in' expr block                                # forStmt
    | 'while' expr block                                         # whileStmt
    | 'break'                                                    # breakStmt
    | 'continue'                                                 # continueStmt
    | 'return' expr?                                             # returnStmt
    | role=('system' | 'user' | 'assistant') (block | expr+)     # roleStmt
    | expr+                                                      # appendStmt
    | ';'                                                        # emptyStmt
    ;

ifStmt : 'if' expr block ('else' (ifStmt | block))? ;

// ---------------------------------------------------------------- expressions
// Precedence from tight to loose: postfix (. [] ()), prefix (- !), * / %, + -, comparisons,
// == != ~ (regex match), &&, ||.
expr
    : primary                                          # primaryExpr
    | expr '.' IDENT                                   # memberExpr
    | expr '[' expr ']'                                # indexExpr
    | expr '(' argList? ')'                            # callExpr
    | op=('-' | '!') expr                              # unaryExpr
    | expr op=('*' | '/' | '%') expr                   # binaryExpr
    | expr op=('+' | '-') expr                         # binaryExpr
    | expr op=('<' | '<=' | '>' | '>=') expr           # binaryExpr
    | expr op=('==' | '!=' | '~') expr                 # binaryExpr
    | expr op='&&' expr                                # binaryExpr
    | expr op='||' expr                                # binaryExpr
    ;

primary
    : INT                                              # intLit
    | FLOAT                                            # floatLit
    | ('true' | 'false')                               # boolLit
    | (STRING | TRIPLE_STRING)                         # stringLit
    | RAW_STRING                                       # rawStringLit
    | REGEX                                            # regexLit
    | IDENT                                            # nameRef
    | '(' expr ')'                                     # parenExpr
    | '[' (expr (',' expr)* ','?)? ']'                 # listLit
    | 'gen' IDENT? ('(' argList? ')')? (':' typeRef)?  # genExpr
    | 'select' IDENT? '(' argList? ')'                 # selectExpr
    | 'fork' (IDENT 'in')? expr block                  # forkExpr
    | 'spawn' expr                                     # spawnExpr
    ;

argList : arg (',' arg)* ','? ;
arg : (IDENT ':')? expr ;

// Entry rule for the text between '{' and '}' inside a string literal.
interpolation : expr EOF ;

// ---------------------------------------------------------------- lexer
IMPORT : 'import' ;
FN : 'fn' ;
SCHEMA : 'schema' ;
ENUM : 'enum' ;
LET : 'let' ;
IF : 'if' ;
ELSE : 'else' ;
FOR : 'for' ;
IN : 'in' ;
WHILE : 'while' ;
BREAK : 'break' ;
CONTINUE : 'continue' ;
RETURN : 'return' ;
SYSTEM : 'system' ;
USER : 'user' ;
ASSISTANT : 'assistant' ;
GEN : 'gen' ;
SELECT : 'select' ;
FORK : 'fork' ;
SPAWN : 'spawn' ;
TRUE : 'true' ;
FALSE : 'false' ;

ARROW : '->' ;
EQ : '==' ;
NE : '!=' ;
LE : '<=' ;
GE : '>=' ;
AND : '&&' ;
OR : '||' ;
PLUS_ASSIGN : '+=' ;
ASSIGN : '=' ;
LT : '<' ;
GT : '>' ;
PLUS : '+' ;
MINUS : '-' ;
STAR : '*' ;
SLASH : '/' ;
PERCENT : '%' ;
BANG : '!' ;
TILDE : '~' ;
DOT : '.' ;
COMMA : ',' ;
COLON : ':' ;
SEMI : ';' ;
QUESTION : '?' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACK : '[' ;
RBRACK : ']' ;
LBRACE : '{' ;
RBRACE : '}' ;

IDENT : [a-zA-Z_] [a-zA-Z0-9_]* ;
FLOAT : DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT : DIGITS ;
fragment DIGITS : [0-9] ('_'? [0-9])* ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

// "..." strings: one line, escapes, {expr} interpolation. A string inside an interpolation may
// not itself interpolate. """...""" strings span lines. r"..." raw strings: no escapes, no
// interpolation, may span lines.
TRIPLE_STRING : '"""' (ESC | INTERP | ~[\\{])*? '"""' ;
STRING : '"' (ESC | INTERP | ~["\\{\r\n])* '"' ;
RAW_STRING : 'r"' ~["]* '"' ;
fragment ESC : '\\' ~[\r\n] ;
fragment INTERP : '{' (PLAIN_STRING | ~["{}\r\n])* '}' ;
fragment PLAIN_STRING : '"' (ESC | ~["\\{\r\n])* '"' ;

// /regex/ literals (RE2 syntax). Never start with '*' or '/', so comments win.
REGEX : '/' (RE_ESC | RE_CLASS | ~[/*\\\r\n[]) (RE_ESC | RE_CLASS | ~[/\\\r\n[])* '/' ;
fragment RE_ESC : '\\' ~[\r\n] ;
fragment RE_CLASS : '[' (RE_ESC | ~[\]\\\r\n])* ']' ;

DOC_COMMENT : '///' ~[\r\n]* ;
LINE_COMMENT : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;

NL : '\r'? '\n' | '\r' ;
WS : [ \t\f]+ -> skip ;

// Error tokens: matched only when nothing valid is, so that compiler/parse.cpp can report them
// in words ("unterminated string literal") instead of failing in the lexer.
// These may not contain their terminator, or they would outrun the real tokens (longest match).
UNTERMINATED_TRIPLE_STRING : '"""' (ESC | ~["\\] | '"' ~["] | '""' ~["])* '"'? '"'? EOF ;
UNTERMINATED_STRING : '"' (ESC | INTERP | ~["\\{\r\n])* ;
UNTERMINATED_RAW_STRING : 'r"' ~["]* EOF ;
UNTERMINATED_BLOCK_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
ERROR_CHAR : . ;
