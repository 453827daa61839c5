# Writes the bytes of IN as `const unsigned char NAME[]` (NUL-terminated)
# and `const size_t NAME_len` into the C file OUT (the office's assets).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT}
  "/* Generated from ${IN}; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const unsigned char ${NAME}[] = {${bytes} 0x00};\n"
  "const size_t ${NAME}_len = ${n};\n")
