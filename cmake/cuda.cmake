# CUDA is found at configure time and chosen at run time: a build without nvcc (or with
# -DPGPP_CUDA=OFF) is a CPU-only build, and a CUDA build still runs on a machine with no GPU.
set(PGPP_HAVE_CUDA OFF)
if(PGPP_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # CMake 3.25 does not know how to ask nvcc for C++20 yet.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)  # A100, H100/H200
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(PGPP_HAVE_CUDA ON)
  endif()
endif()
message(STATUS "PrivateGPT++: CUDA backend ${PGPP_HAVE_CUDA}")
