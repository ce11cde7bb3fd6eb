# Compiler flags shared by every target: the warning set, optional -Werror,
# the sanitizer build, and a helper to declare a Jejak library or program.
set(JEJAK_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wformat=2)
add_compile_options(${JEJAK_WARNINGS})
if(JEJAK_WERROR)
  add_compile_options(-Werror)
endif()
add_compile_definitions(_POSIX_C_SOURCE=200809L _XOPEN_SOURCE=700 _DEFAULT_SOURCE)
if(JEJAK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# The Debian package each program ships in (see cmake/JejakPackage.cmake);
# a program not named here goes with the hub.
set(JEJAK_OFFICE_PROGRAMS jejak-registration jejak-attendance jejak-scoring
    jejak-office)
set(JEJAK_STATUS_PROGRAMS jejak-status)
function(jejak_component_of name out)
  if(name IN_LIST JEJAK_OFFICE_PROGRAMS)
    set(${out} office PARENT_SCOPE)
  elseif(name IN_LIST JEJAK_STATUS_PROGRAMS)
    set(${out} status PARENT_SCOPE)
  else()
    set(${out} hub PARENT_SCOPE)
  endif()
endfunction()

# jejak_program(NAME SOURCES... LIBS ...): a program installed to bin/,
# with its man page and bash completion generated from its --help
# (cmake/JejakDocs.cmake) and installed beside it.
function(jejak_program name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${P_SOURCES})
  target_link_libraries(${name} PRIVATE ${P_LIBS})
  jejak_component_of(${name} component)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT ${component})
  set_property(GLOBAL APPEND PROPERTY JEJAK_PROGRAMS ${name})
endfunction()

# jejak_pkg(PREFIX MODULE): pkg_check_modules with an imported target whose
# flags are the same on every configure. pkg-config gives some libraries'
# include folders as "-isystem DIR" (libzmq's mit-krb5); CMake files that
# pair under the compile options on one run and the include folders on the
# next, which changes every object's flags and rebuilds the whole tree
# after a reconfigure. Moved to the include folders once, here.
function(jejak_pkg prefix module)
  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${module})
  set(target PkgConfig::${prefix})
  get_target_property(opts ${target} INTERFACE_COMPILE_OPTIONS)
  if(NOT opts)
    return()
  endif()
  set(kept "")
  set(dirs "")
  set(take_dir FALSE)
  foreach(opt IN LISTS opts)
    if(take_dir)
      list(APPEND dirs "${opt}")
      set(take_dir FALSE)
    elseif(opt STREQUAL "-isystem")
      set(take_dir TRUE)
    else()
      list(APPEND kept "${opt}")
    endif()
  endforeach()
  set_property(TARGET ${target} PROPERTY INTERFACE_COMPILE_OPTIONS "${kept}")
  if(dirs)
    set_property(TARGET ${target} APPEND PROPERTY
                 INTERFACE_INCLUDE_DIRECTORIES ${dirs})
  endif()
endfunction()

# jejak_listed(PATTERN FILES...): every file of this folder matching
# PATTERN ("*.c", "test_*.c") must be one of FILES. Sources are listed by
# hand so that a missing file fails the build; this check makes the
# opposite mistake (a new file nobody listed, which would never be built
# or run) fail the configure step too.
function(jejak_listed pattern)
  file(GLOB found RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/${pattern})
  foreach(file IN LISTS found)
    if(NOT file IN_LIST ARGN)
      message(FATAL_ERROR "${CMAKE_CURRENT_SOURCE_DIR}/${file} is in no "
              "list of ${CMAKE_CURRENT_LIST_FILE}: add it there")
    endif()
  endforeach()
endfunction()
