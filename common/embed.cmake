# Writes IN as a C string constant schema_default_text into OUT.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT}
  "/* Generated from deploy/schema.json; do not edit. */\n"
  "extern const char schema_default_text[];\n"
  "const char schema_default_text[] = {${bytes} 0x00};\n")
