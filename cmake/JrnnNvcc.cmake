# Helpers that compile jrnn's CUDA kernels with nvcc into resources the jar embeds.
#
#   JRNN_NVCC                   nvcc to use (cache); found in $CUDA_HOME/bin, $CUDA_PATH/bin, PATH,
#                               /usr/local/cuda/bin when not given
#   jrnn_add_kernel_module(NAME SOURCE src.cu OUTPUT_DIR dir [DEPENDS headers...])
#       dir/NAME.ptx     PTX for compute_${JRNN_PTX_ARCH}: any newer GPU's driver JITs it
#       dir/NAME.fatbin  SASS for each of ${JRNN_SASS_ARCHS} plus that PTX (no JIT on those GPUs)
#     and appends both files to the global property JRNN_KERNEL_OUTPUTS.
#
# NB: nvcc is called directly rather than through CMake's CUDA language support: that would
# compile and link a test program against the CUDA runtime at configure time, which costs
# seconds and needs more of the toolkit than producing PTX does.

find_program(JRNN_NVCC nvcc
    HINTS ENV CUDA_HOME ENV CUDA_PATH
    PATH_SUFFIXES bin
    PATHS /usr/local/cuda/bin)
if(NOT JRNN_NVCC)
  message(FATAL_ERROR "jrnn: nvcc not found (looked in $CUDA_HOME/bin, $CUDA_PATH/bin, PATH, /usr/local/cuda/bin); "
                      "pass -DJRNN_NVCC=/path/to/nvcc, or build jrnn without its kernels (Maven: -P '!cuda-kernels')")
endif()
execute_process(COMMAND "${JRNN_NVCC}" --version OUTPUT_VARIABLE _jrnn_nvcc_version RESULT_VARIABLE _jrnn_nvcc_rc)
if(NOT _jrnn_nvcc_rc EQUAL 0)
  message(FATAL_ERROR "jrnn: ${JRNN_NVCC} --version failed (${_jrnn_nvcc_rc})")
endif()
string(REGEX MATCH "release [0-9]+\\.[0-9]+" _jrnn_nvcc_release "${_jrnn_nvcc_version}")
message(STATUS "jrnn: nvcc ${JRNN_NVCC} (${_jrnn_nvcc_release})")

set(JRNN_NVCC_FLAGS -std=c++17 -O3 --Werror all-warnings CACHE STRING "flags for every kernel module")

function(jrnn_add_kernel_module name)
  cmake_parse_arguments(ARG "" "SOURCE;OUTPUT_DIR" "DEPENDS" ${ARGN})
  if(NOT ARG_SOURCE OR NOT ARG_OUTPUT_DIR)
    message(FATAL_ERROR "jrnn_add_kernel_module(${name}): SOURCE and OUTPUT_DIR are required")
  endif()
  set(ptx "${ARG_OUTPUT_DIR}/${name}.ptx")
  set(fatbin "${ARG_OUTPUT_DIR}/${name}.fatbin")
  add_custom_command(
      OUTPUT "${ptx}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${ARG_OUTPUT_DIR}"
      COMMAND "${JRNN_NVCC}" ${JRNN_NVCC_FLAGS} -ptx -arch=compute_${JRNN_PTX_ARCH} -o "${ptx}" "${ARG_SOURCE}"
      DEPENDS "${ARG_SOURCE}" ${ARG_DEPENDS}
      COMMENT "nvcc ${name}.cu -> ${name}.ptx (compute_${JRNN_PTX_ARCH})"
      VERBATIM)
  set(outputs "${ptx}")
  if(JRNN_SASS_ARCHS)
    set(gencode "")
    foreach(arch IN LISTS JRNN_SASS_ARCHS)
      list(APPEND gencode -gencode "arch=compute_${arch},code=sm_${arch}")
    endforeach()
    list(APPEND gencode -gencode "arch=compute_${JRNN_PTX_ARCH},code=compute_${JRNN_PTX_ARCH}")
    add_custom_command(
        OUTPUT "${fatbin}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${ARG_OUTPUT_DIR}"
        COMMAND "${JRNN_NVCC}" ${JRNN_NVCC_FLAGS} -fatbin ${gencode} -o "${fatbin}" "${ARG_SOURCE}"
        DEPENDS "${ARG_SOURCE}" ${ARG_DEPENDS}
        COMMENT "nvcc ${name}.cu -> ${name}.fatbin (sm_${JRNN_SASS_ARCHS} + compute_${JRNN_PTX_ARCH})"
        VERBATIM)
    list(APPEND outputs "${fatbin}")
  endif()
  set_property(GLOBAL APPEND PROPERTY JRNN_KERNEL_OUTPUTS ${outputs})
endfunction()
