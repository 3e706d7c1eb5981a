# rtr42_embed_files(OUTPUT out.cc BASE dir SYMBOL name FILES f1 f2 ...)
# Generates a C++ source that defines
#   extern const rtr42::EmbeddedFile name[]; extern const size_t name_count;
# holding each file's path (relative to BASE) and bytes (base/embedded.h).
# Regenerated when a file changes. sources/ embeds the sample registry as
# kSampleRegistry.
function(rtr42_embed_files)
  cmake_parse_arguments(E "" "OUTPUT;BASE;SYMBOL" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DBASE=${E_BASE} -DSYMBOL=${E_SYMBOL}
            "-DFILES=${E_FILES}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding ${SYMBOL} files"
    VERBATIM)
endfunction()
