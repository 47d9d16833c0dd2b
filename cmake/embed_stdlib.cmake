# Writes OUT: a C++ file defining sgl::embedded_stdlib(), the stdlib/*.sgl sources as raw strings.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
foreach(f IN LISTS FILES)
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} content)
  string(APPEND body "    {\"std.${name}\", \"std/${name}.sgl\", R\"sgl_embed(${content})sgl_embed\"},\n")
endforeach()
file(WRITE ${OUT} "// Generated from stdlib/*.sgl by cmake/embed_stdlib.cmake. Do not edit.\n#include \"stdlib.h\"\n\nnamespace sgl {\n\nconst std::vector<EmbeddedModule>& embedded_stdlib() {\n  static const std::vector<EmbeddedModule> modules = {\n${body}  };\n  return modules;\n}\n\n}  // namespace sgl\n")
