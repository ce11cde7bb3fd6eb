# Man pages and bash completions of every program, generated at build time
# from the programs' own --help and --version (cmake/gen-docs.sh), so they
# follow the option tables and the vocabulary. Included at the end of the
# top-level CMakeLists.txt, when every jejak_program() is known.
find_program(JEJAK_HELP2MAN help2man REQUIRED)
get_property(jejak_programs GLOBAL PROPERTY JEJAK_PROGRAMS)
set(jejak_generated "")
foreach(p IN LISTS jejak_programs)
  set(man ${CMAKE_BINARY_DIR}/man/${p}.1)
  set(comp ${CMAKE_BINARY_DIR}/completion/${p})
  add_custom_command(
    OUTPUT ${man} ${man}.gz ${comp}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
            ${CMAKE_BINARY_DIR}/completion
    COMMAND sh ${CMAKE_SOURCE_DIR}/cmake/gen-docs.sh $<TARGET_FILE:${p}>
            $<TARGET_FILE:jejak-schema> ${man} ${comp}
    COMMAND gzip -n -9 -f -k ${man}
    DEPENDS ${p} jejak-schema ${CMAKE_SOURCE_DIR}/cmake/gen-docs.sh
    COMMENT "man page and completion of ${p}"
    VERBATIM)
  list(APPEND jejak_generated ${man} ${comp})
  jejak_component_of(${p} component)
  install(FILES ${man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          COMPONENT ${component})
  install(FILES ${comp}
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          COMPONENT ${component})
endforeach()
add_custom_target(jejak_docs ALL DEPENDS ${jejak_generated})
