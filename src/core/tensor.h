// core/tensor.h — tensor storage (Tensor, owning) and views (TensorView, not owning).
//
// A tensor is a dense row-major array with a shape and a dtype. Tensor owns
// its bytes (64-byte aligned); TensorView points into memory someone else
// owns (a Tensor, a parameter buffer, a mapped file) and never frees it.
// Kernels take raw pointers with their shapes stated in comments; these types
// carry shape and dtype across layer boundaries (model, io) so nothing
// assumes f32. Thread-safety: none; callers synchronise.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/aligned.h"
#include "core/check.h"
#include "core/dtype.h"

namespace seek {

class Shape {
 public:
  static constexpr int kMaxDims = 6;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int ndim() const { return ndim_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t numel() const;
  std::vector<int64_t> dims() const { return {dims_.begin(), dims_.begin() + ndim_}; }
  std::string ToString() const;  // "[2, 3, 4]"
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

class TensorView {
 public:
  TensorView() = default;
  TensorView(void* data, DType dtype, Shape shape) : data_(data), dtype_(dtype), shape_(shape) {}

  void* data() const { return data_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }

  float* f32() const {
    CHECK(dtype_ == DType::kF32);
    return static_cast<float*>(data_);
  }
  uint16_t* u16() const {  // bf16 or f16 bits
    CHECK(dtype_ != DType::kF32);
    return static_cast<uint16_t*>(data_);
  }

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::kF32;
  Shape shape_;
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled
  static Tensor F32(Shape shape) { return Tensor(DType::kF32, shape); }

  Tensor(Tensor&&) = default;
  Tensor& operator=(Tensor&&) = default;

  TensorView view() const { return TensorView(const_cast<void*>(buf_.data()), dtype_, shape_); }
  operator TensorView() const { return view(); }  // NOLINT: a Tensor is usable as a view
  void* data() { return buf_.data(); }
  const void* data() const { return buf_.data(); }
  float* f32() { return view().f32(); }
  const float* f32() const { return view().f32(); }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }

 private:
  DType dtype_ = DType::kF32;
  Shape shape_;
  AlignedBuffer buf_;
};

}  // namespace seek
