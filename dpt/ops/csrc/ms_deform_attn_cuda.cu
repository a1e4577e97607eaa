// Multi-scale deformable attention (Deformable DETR, Zhu et al., ICLR 2021, eq. 3) on CUDA.
//
// Layout: value (N, S, M, D); sampling_loc (N, Lq, M, L, P, 2) and attn_weight
// (N, Lq, M, L, P) in the accumulation type (float, or double for double values); output
// (N, Lq, M * D). A "bag" is one (n, q, m): the D channels of its output are a weighted sum of
// bilinear samples of value rows (n, s, m).
//
// Threads: a group of G lanes (a power of two <= 32, so a group never straddles a warp) per
// bag; each lane owns VEC consecutive channels (16-byte loads) and loops over further chunks
// when D > G * VEC. Every lane of a group computes the same sampling geometry, which is cheap
// next to the memory traffic, so the group needs no synchronisation in the forward pass.
// Backward: grad_value by atomicAdd (float4 atomics where both the toolkit, CUDA >= 12.1, and
// the architecture, sm_90 and newer, have them; scalar atomics otherwise), the gradients of the sampling
// location and attention weight by a shuffle reduction of per-lane partial dot products.
// Semantics match grid_sample(align_corners=False, padding_mode='zeros'): pixel coordinate
// x = loc_x * W - 0.5, and neighbours outside the map contribute nothing.
#include <cuda.h>  // CUDA_VERSION

#include <ATen/ATen.h>
#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include <vector>

namespace {

constexpr int kBlock = 256;

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <typename acc_t>
struct Sample {
  int64_t row[4];  // value row (n, s, m) of each corner, in units of D
  acc_t w[4];      // bilinear weight of each corner, 0 outside the map
  acc_t dwdx[4];   // d w / d x and d w / d y (pixel units), 0 outside the map
  acc_t dwdy[4];
};

// Bilinear corners of one sampling point on a level of size h x w whose first row is
// `level_row` (= (n * S + start) * M + m). Returns false when no corner is inside the map.
template <typename acc_t>
__device__ __forceinline__ bool locate(acc_t loc_x, acc_t loc_y, int h, int w, int64_t level_row,
                                       int M, Sample<acc_t>& s) {
  const acc_t x = loc_x * w - acc_t(0.5);
  const acc_t y = loc_y * h - acc_t(0.5);
  // written so that NaN fails too
  if (!(x >= acc_t(-1) && x < acc_t(w) && y >= acc_t(-1) && y < acc_t(h))) return false;
  const acc_t x0f = floor(x), y0f = floor(y);
  const int x0 = static_cast<int>(x0f), y0 = static_cast<int>(y0f);
  const acc_t fx = x - x0f, fy = y - y0f;
  const acc_t wx[2] = {acc_t(1) - fx, fx}, wy[2] = {acc_t(1) - fy, fy};
  const bool in_x[2] = {x0 >= 0, x0 + 1 < w}, in_y[2] = {y0 >= 0, y0 + 1 < h};
#pragma unroll
  for (int c = 0; c < 4; ++c) {
    const int i = c >> 1, j = c & 1;  // corner (y0 + i, x0 + j)
    const bool in = in_y[i] && in_x[j];
    s.row[c] = level_row + static_cast<int64_t>((y0 + i) * w + (x0 + j)) * M;
    s.w[c] = in ? wy[i] * wx[j] : acc_t(0);
    s.dwdx[c] = in ? (j ? wy[i] : -wy[i]) : acc_t(0);
    s.dwdy[c] = in ? (i ? wx[j] : -wx[j]) : acc_t(0);
  }
  return true;
}

// atomicAdd(float4*, float4) exists from CUDA 12.1 on, for compute capability 9.0 and newer:
// built without it elsewhere (CUDA 11.x / 12.0 toolkits, sm_70 - sm_89), not failing the build
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && defined(CUDA_VERSION) && CUDA_VERSION >= 12010
#define DPT_FLOAT4_ATOMIC_ADD 1
#else
#define DPT_FLOAT4_ATOMIC_ADD 0
#endif

template <int VEC>
__device__ __forceinline__ void atomic_add_pack(float* dst, const float (&v)[VEC]) {
#if DPT_FLOAT4_ATOMIC_ADD
  if constexpr (VEC % 4 == 0) {
#pragma unroll
    for (int k = 0; k < VEC; k += 4) {
      atomicAdd(reinterpret_cast<float4*>(dst + k),
                make_float4(v[k], v[k + 1], v[k + 2], v[k + 3]));
    }
  } else {
#pragma unroll
    for (int k = 0; k < VEC; ++k) atomicAdd(dst + k, v[k]);
  }
#else
#pragma unroll
  for (int k = 0; k < VEC; ++k) atomicAdd(dst + k, v[k]);
#endif
}

template <int VEC>
__device__ __forceinline__ void atomic_add_pack(double* dst, const double (&v)[VEC]) {
#pragma unroll
  for (int k = 0; k < VEC; ++k) atomicAdd(dst + k, v[k]);
}

template <typename acc_t>
__device__ __forceinline__ acc_t group_sum(acc_t v, unsigned mask, int group) {
  for (int offset = group >> 1; offset > 0; offset >>= 1)
    v += __shfl_xor_sync(mask, v, offset, group);
  return v;
}

struct Dims {
  int64_t bags;  // N * Lq * M
  int Lq, M, D, L, P;
  int64_t S;
  int group, chunks;
};

template <typename scalar_t, int VEC>
__global__ void __launch_bounds__(kBlock)
    forward_kernel(const scalar_t* __restrict__ value, const int64_t* __restrict__ shapes,
                   const int64_t* __restrict__ starts,
                   const at::opmath_type<scalar_t>* __restrict__ loc,
                   const at::opmath_type<scalar_t>* __restrict__ attn,
                   scalar_t* __restrict__ out, const Dims d) {
  using acc_t = at::opmath_type<scalar_t>;
  using pack_t = Pack<scalar_t, VEC>;
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t bag = t / d.group;
  const int lane = static_cast<int>(t % d.group);
  if (bag >= d.bags) return;
  const int m = static_cast<int>(bag % d.M);
  const int64_t n = bag / (static_cast<int64_t>(d.Lq) * d.M);
  const acc_t* loc_b = loc + bag * d.L * d.P * 2;
  const acc_t* attn_b = attn + bag * d.L * d.P;
  for (int chunk = 0; chunk < d.chunks; ++chunk) {
    const int c0 = (chunk * d.group + lane) * VEC;
    if (c0 >= d.D) break;
    acc_t acc[VEC];
#pragma unroll
    for (int k = 0; k < VEC; ++k) acc[k] = acc_t(0);
    for (int l = 0; l < d.L; ++l) {
      const int h = static_cast<int>(shapes[2 * l]), w = static_cast<int>(shapes[2 * l + 1]);
      const int64_t level_row = (n * d.S + starts[l]) * d.M + m;
      for (int p = 0; p < d.P; ++p) {
        const int k = l * d.P + p;
        Sample<acc_t> s;
        if (!locate(loc_b[2 * k], loc_b[2 * k + 1], h, w, level_row, d.M, s)) continue;
        const acc_t a = attn_b[k];
#pragma unroll
        for (int c = 0; c < 4; ++c) {
          if (s.w[c] == acc_t(0)) continue;
          const pack_t v = *reinterpret_cast<const pack_t*>(value + s.row[c] * d.D + c0);
          const acc_t wc = a * s.w[c];
#pragma unroll
          for (int e = 0; e < VEC; ++e) acc[e] += wc * static_cast<acc_t>(v.v[e]);
        }
      }
    }
    pack_t o;
#pragma unroll
    for (int e = 0; e < VEC; ++e) o.v[e] = static_cast<scalar_t>(acc[e]);
    *reinterpret_cast<pack_t*>(out + bag * d.D + c0) = o;
  }
}

template <typename scalar_t, int VEC>
__global__ void __launch_bounds__(kBlock)
    backward_kernel(const scalar_t* __restrict__ value, const int64_t* __restrict__ shapes,
                    const int64_t* __restrict__ starts,
                    const at::opmath_type<scalar_t>* __restrict__ loc,
                    const at::opmath_type<scalar_t>* __restrict__ attn,
                    const scalar_t* __restrict__ grad_out,
                    at::opmath_type<scalar_t>* __restrict__ grad_value,  // zeroed
                    at::opmath_type<scalar_t>* __restrict__ grad_loc,    // zeroed
                    at::opmath_type<scalar_t>* __restrict__ grad_attn,   // zeroed
                    const Dims d) {
  using acc_t = at::opmath_type<scalar_t>;
  using pack_t = Pack<scalar_t, VEC>;
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t bag = t / d.group;
  const int lane = static_cast<int>(t % d.group);
  // a group is one bag, so it returns as a whole and the shuffles below see all its lanes
  if (bag >= d.bags) return;
  const int warp_lane = threadIdx.x & 31;
  const unsigned group_mask =
      (d.group == 32 ? 0xffffffffu : ((1u << d.group) - 1u)) << (warp_lane & ~(d.group - 1));
  const int m = static_cast<int>(bag % d.M);
  const int64_t n = bag / (static_cast<int64_t>(d.Lq) * d.M);
  const acc_t* loc_b = loc + bag * d.L * d.P * 2;
  const acc_t* attn_b = attn + bag * d.L * d.P;
  for (int l = 0; l < d.L; ++l) {
    const int h = static_cast<int>(shapes[2 * l]), w = static_cast<int>(shapes[2 * l + 1]);
    const int64_t level_row = (n * d.S + starts[l]) * d.M + m;
    for (int p = 0; p < d.P; ++p) {
      const int k = l * d.P + p;
      Sample<acc_t> s;
      if (!locate(loc_b[2 * k], loc_b[2 * k + 1], h, w, level_row, d.M, s)) continue;
      const acc_t a = attn_b[k];
      acc_t dot[4] = {acc_t(0), acc_t(0), acc_t(0), acc_t(0)};  // <grad_out, corner row>
      for (int chunk = 0; chunk < d.chunks; ++chunk) {
        const int c0 = (chunk * d.group + lane) * VEC;
        if (c0 >= d.D) break;
        const pack_t g = *reinterpret_cast<const pack_t*>(grad_out + bag * d.D + c0);
        acc_t gf[VEC];
#pragma unroll
        for (int e = 0; e < VEC; ++e) gf[e] = static_cast<acc_t>(g.v[e]);
#pragma unroll
        for (int c = 0; c < 4; ++c) {
          if (s.w[c] == acc_t(0) && s.dwdx[c] == acc_t(0) && s.dwdy[c] == acc_t(0)) continue;
          const pack_t v = *reinterpret_cast<const pack_t*>(value + s.row[c] * d.D + c0);
          acc_t add[VEC];
          const acc_t wc = a * s.w[c];
#pragma unroll
          for (int e = 0; e < VEC; ++e) {
            dot[c] += gf[e] * static_cast<acc_t>(v.v[e]);
            add[e] = wc * gf[e];
          }
          if (wc != acc_t(0)) atomic_add_pack<VEC>(grad_value + s.row[c] * d.D + c0, add);
        }
      }
      acc_t da = acc_t(0), dx = acc_t(0), dy = acc_t(0);
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        da += s.w[c] * dot[c];
        dx += s.dwdx[c] * dot[c];
        dy += s.dwdy[c] * dot[c];
      }
      da = group_sum(da, group_mask, d.group);
      dx = group_sum(dx, group_mask, d.group);
      dy = group_sum(dy, group_mask, d.group);
      if (lane == 0) {
        grad_attn[bag * d.L * d.P + k] = da;
        grad_loc[(bag * d.L * d.P + k) * 2] = a * dx * w;      // d x / d loc_x = W
        grad_loc[(bag * d.L * d.P + k) * 2 + 1] = a * dy * h;  // d y / d loc_y = H
      }
    }
  }
}

int next_pow2(int v) {
  int p = 1;
  while (p < v) p <<= 1;
  return p;
}

bool aligned(const void* ptr, int bytes) {
  return reinterpret_cast<uintptr_t>(ptr) % bytes == 0;
}

// Channels per lane: 16 bytes when D and every pointer allow it, else 1.
template <typename scalar_t>
int pick_vec(int D, std::initializer_list<const void*> ptrs) {
  constexpr int wide = 16 / sizeof(scalar_t);
  if (D % wide) return 1;
  for (const void* p : ptrs)
    if (!aligned(p, 16)) return 1;
  return wide;
}

Dims make_dims(const at::Tensor& value, const at::Tensor& loc, int vec) {
  Dims d;
  d.S = value.size(1);
  d.M = static_cast<int>(value.size(2));
  d.D = static_cast<int>(value.size(3));
  d.Lq = static_cast<int>(loc.size(1));
  d.L = static_cast<int>(loc.size(3));
  d.P = static_cast<int>(loc.size(4));
  d.bags = value.size(0) * d.Lq * d.M;
  const int lanes = (d.D + vec - 1) / vec;
  d.group = std::min(32, next_pow2(lanes));
  d.chunks = (lanes + d.group - 1) / d.group;
  return d;
}

dim3 grid_for(const Dims& d) {
  return dim3(static_cast<unsigned>((d.bags * d.group + kBlock - 1) / kBlock));
}

template <typename scalar_t, int VEC>
void launch_forward(const at::Tensor& value, const at::Tensor& shapes, const at::Tensor& starts,
                    const at::Tensor& loc, const at::Tensor& attn, at::Tensor& out,
                    const Dims& d) {
  using acc_t = at::opmath_type<scalar_t>;
  forward_kernel<scalar_t, VEC><<<grid_for(d), kBlock, 0, at::cuda::getCurrentCUDAStream()>>>(
      value.data_ptr<scalar_t>(), shapes.data_ptr<int64_t>(), starts.data_ptr<int64_t>(),
      loc.data_ptr<acc_t>(), attn.data_ptr<acc_t>(), out.data_ptr<scalar_t>(), d);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

template <typename scalar_t, int VEC>
void launch_backward(const at::Tensor& value, const at::Tensor& shapes, const at::Tensor& starts,
                     const at::Tensor& loc, const at::Tensor& attn, const at::Tensor& grad_out,
                     at::Tensor& grad_value, at::Tensor& grad_loc, at::Tensor& grad_attn,
                     const Dims& d) {
  using acc_t = at::opmath_type<scalar_t>;
  backward_kernel<scalar_t, VEC><<<grid_for(d), kBlock, 0, at::cuda::getCurrentCUDAStream()>>>(
      value.data_ptr<scalar_t>(), shapes.data_ptr<int64_t>(), starts.data_ptr<int64_t>(),
      loc.data_ptr<acc_t>(), attn.data_ptr<acc_t>(), grad_out.data_ptr<scalar_t>(),
      grad_value.data_ptr<acc_t>(), grad_loc.data_ptr<acc_t>(), grad_attn.data_ptr<acc_t>(), d);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace

at::Tensor ms_deform_attn_cuda_forward(const at::Tensor& value, const at::Tensor& spatial_shapes,
                                       const at::Tensor& level_start_index,
                                       const at::Tensor& sampling_loc,
                                       const at::Tensor& attn_weight) {
  const c10::cuda::CUDAGuard guard(value.device());
  auto out = at::empty({value.size(0), sampling_loc.size(1), value.size(2) * value.size(3)},
                       value.options());
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, value.scalar_type(), "ms_deform_attn_forward", [&] {
        constexpr int wide = 16 / sizeof(scalar_t);
        const int vec = pick_vec<scalar_t>(static_cast<int>(value.size(3)),
                                           {value.data_ptr(), out.data_ptr()});
        const Dims d = make_dims(value, sampling_loc, vec);
        if (vec == wide) {
          launch_forward<scalar_t, wide>(value, spatial_shapes, level_start_index, sampling_loc,
                                         attn_weight, out, d);
        } else {
          launch_forward<scalar_t, 1>(value, spatial_shapes, level_start_index, sampling_loc,
                                      attn_weight, out, d);
        }
      });
  return out;
}

std::vector<at::Tensor> ms_deform_attn_cuda_backward(const at::Tensor& value,
                                                     const at::Tensor& spatial_shapes,
                                                     const at::Tensor& level_start_index,
                                                     const at::Tensor& sampling_loc,
                                                     const at::Tensor& attn_weight,
                                                     const at::Tensor& grad_output) {
  const c10::cuda::CUDAGuard guard(value.device());
  // gradients accumulate in the op-math type (float for half / bfloat16 values)
  auto grad_value = at::zeros(value.sizes(), value.options().dtype(sampling_loc.scalar_type()));
  auto grad_loc = at::zeros_like(sampling_loc);
  auto grad_attn = at::zeros_like(attn_weight);
  if (grad_output.numel() > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(
        at::kHalf, at::kBFloat16, value.scalar_type(), "ms_deform_attn_backward", [&] {
          constexpr int wide = 16 / sizeof(scalar_t);
          const int vec = pick_vec<scalar_t>(
              static_cast<int>(value.size(3)),
              {value.data_ptr(), grad_output.data_ptr(), grad_value.data_ptr()});
          const Dims d = make_dims(value, sampling_loc, vec);
          if (vec == wide) {
            launch_backward<scalar_t, wide>(value, spatial_shapes, level_start_index,
                                            sampling_loc, attn_weight, grad_output, grad_value,
                                            grad_loc, grad_attn, d);
          } else {
            launch_backward<scalar_t, 1>(value, spatial_shapes, level_start_index,
                                         sampling_loc, attn_weight, grad_output, grad_value,
                                         grad_loc, grad_attn, d);
          }
        });
  }
  return {grad_value.to(value.scalar_type()), grad_loc, grad_attn};
}
