// Python binding of dpt's multi-scale deformable attention kernels (ms_deform_attn_cuda.cu).
// Checks every input here, so that a wrong call fails with a message, not a bad memory access.
#include <torch/extension.h>

#include <vector>

at::Tensor ms_deform_attn_cuda_forward(const at::Tensor& value, const at::Tensor& spatial_shapes,
                                       const at::Tensor& level_start_index,
                                       const at::Tensor& sampling_loc,
                                       const at::Tensor& attn_weight);

std::vector<at::Tensor> ms_deform_attn_cuda_backward(const at::Tensor& value,
                                                     const at::Tensor& spatial_shapes,
                                                     const at::Tensor& level_start_index,
                                                     const at::Tensor& sampling_loc,
                                                     const at::Tensor& attn_weight,
                                                     const at::Tensor& grad_output);

namespace {

// The kernels index value with spatial_shapes and level_start_index alone: levels that do not
// tile value's S positions would read (and, backward, write) out of bounds. The same checks
// and messages as dpt/ops/ms_deform_attn_pytorch.py check_levels. Costs one copy of the 3 L
// integers to the host, a synchronisation, per call.
void check_levels(int64_t num_positions, const at::Tensor& spatial_shapes,
                  const at::Tensor& level_start_index) {
  const auto shapes = spatial_shapes.to(at::kCPU);
  const auto starts = level_start_index.to(at::kCPU);
  const int64_t* hw = shapes.data_ptr<int64_t>();
  const int64_t* start = starts.data_ptr<int64_t>();
  int64_t total = 0;
  for (int64_t l = 0; l < shapes.size(0); ++l) {
    TORCH_CHECK(hw[2 * l] > 0 && hw[2 * l + 1] > 0, "ms_deform_attn: spatial_shapes level ", l,
                " is ", hw[2 * l], " x ", hw[2 * l + 1], "; every level needs H, W > 0");
    TORCH_CHECK(start[l] == total, "ms_deform_attn: level_start_index[", l, "] is ", start[l],
                " but spatial_shapes put level ", l, " at ", total);
    total += hw[2 * l] * hw[2 * l + 1];
  }
  TORCH_CHECK(total == num_positions, "ms_deform_attn: value has ", num_positions,
              " positions but spatial_shapes give ", total);
}

void check_inputs(const at::Tensor& value, const at::Tensor& spatial_shapes,
                  const at::Tensor& level_start_index, const at::Tensor& sampling_loc,
                  const at::Tensor& attn_weight) {
  const auto device = value.device();
  for (const auto* t : {&value, &spatial_shapes, &level_start_index, &sampling_loc, &attn_weight}) {
    TORCH_CHECK(t->is_cuda() && t->device() == device,
                "ms_deform_attn: every input must be on ", device);
    TORCH_CHECK(t->is_contiguous(), "ms_deform_attn: inputs must be contiguous");
  }
  TORCH_CHECK(value.dim() == 4, "ms_deform_attn: value must be (N, S, M, D), got ",
              value.sizes());
  TORCH_CHECK(sampling_loc.dim() == 6 && sampling_loc.size(5) == 2,
              "ms_deform_attn: sampling_locations must be (N, Lq, M, L, P, 2), got ",
              sampling_loc.sizes());
  const int64_t L = sampling_loc.size(3);
  TORCH_CHECK(sampling_loc.size(0) == value.size(0) && sampling_loc.size(2) == value.size(2),
              "ms_deform_attn: sampling_locations ", sampling_loc.sizes(),
              " do not match value ", value.sizes());
  TORCH_CHECK(attn_weight.sizes() == sampling_loc.sizes().slice(0, 5),
              "ms_deform_attn: attention_weights must be ", sampling_loc.sizes().slice(0, 5),
              ", got ", attn_weight.sizes());
  TORCH_CHECK(spatial_shapes.scalar_type() == at::kLong && spatial_shapes.dim() == 2 &&
                  spatial_shapes.size(0) == L && spatial_shapes.size(1) == 2,
              "ms_deform_attn: spatial_shapes must be int64 (L, 2) with L = ", L);
  TORCH_CHECK(level_start_index.scalar_type() == at::kLong && level_start_index.dim() == 1 &&
                  level_start_index.size(0) == L,
              "ms_deform_attn: level_start_index must be int64 (L,) with L = ", L);
  const auto acc = value.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  TORCH_CHECK(sampling_loc.scalar_type() == acc && attn_weight.scalar_type() == acc,
              "ms_deform_attn: sampling_locations and attention_weights must be ", acc,
              " for ", value.scalar_type(), " values");
  check_levels(value.size(1), spatial_shapes, level_start_index);
}

at::Tensor forward(const at::Tensor& value, const at::Tensor& spatial_shapes,
                   const at::Tensor& level_start_index, const at::Tensor& sampling_loc,
                   const at::Tensor& attn_weight) {
  check_inputs(value, spatial_shapes, level_start_index, sampling_loc, attn_weight);
  return ms_deform_attn_cuda_forward(value, spatial_shapes, level_start_index, sampling_loc,
                                     attn_weight);
}

std::vector<at::Tensor> backward(const at::Tensor& value, const at::Tensor& spatial_shapes,
                                 const at::Tensor& level_start_index,
                                 const at::Tensor& sampling_loc, const at::Tensor& attn_weight,
                                 const at::Tensor& grad_output) {
  check_inputs(value, spatial_shapes, level_start_index, sampling_loc, attn_weight);
  TORCH_CHECK(grad_output.is_cuda() && grad_output.is_contiguous() &&
                  grad_output.scalar_type() == value.scalar_type() &&
                  grad_output.numel() ==
                      sampling_loc.size(0) * sampling_loc.size(1) * value.size(2) * value.size(3),
              "ms_deform_attn: grad_output must be a contiguous (N, Lq, M * D) ",
              value.scalar_type(), " CUDA tensor");
  return ms_deform_attn_cuda_backward(value, spatial_shapes, level_start_index, sampling_loc,
                                      attn_weight, grad_output);
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "dpt multi-scale deformable attention (CUDA)";
  m.def("forward", &forward, "output (N, Lq, M * D)");
  m.def("backward", &backward, "grad_value, grad_sampling_locations, grad_attention_weights");
}
