# One library target per layer. Sources are globbed per folder so that adding a file to a layer
# needs no edit here; CONFIGURE_DEPENDS re-globs on every build.
function(pgpp_add_layer name dir)
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  # A layer's cuda/ folder holds the code that drives the CUDA backend: built only with it.
  if(NOT PGPP_HAVE_CUDA)
    list(FILTER _sources EXCLUDE REGEX "/cuda/")
  endif()
  if(_sources)
    add_library(${name} STATIC ${_sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
  endif()
endfunction()
