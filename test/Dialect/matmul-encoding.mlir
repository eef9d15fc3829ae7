// RUN: genc-opt --split-input-file --verify-diagnostics %s | FileCheck %s

// Every encoding a kernel takes prints as it parses; defaults are not
// printed. i8 weights without scales are a matmul of integers.
// CHECK-LABEL: func.func @encodings
// CHECK-SAME: a = #genc.matmul<row_major, f32>
// CHECK-SAME: b = #genc.matmul<panels_32, f32>
// CHECK-SAME: c = #genc.matmul<panels_32, bf16>
// CHECK-SAME: d = #genc.matmul<panels_32, i8, column_scale>
// CHECK-SAME: e = #genc.matmul<panels_32, i4, group_scale_offset, group = 128>
// CHECK-SAME: f = #genc.matmul<panels_32, i4, group_scale, group = 32>
// CHECK-SAME: g = #genc.matmul<panels_32, i8>
func.func @encodings() attributes {
    a = #genc.matmul<row_major, f32>, b = #genc.matmul<panels_32, f32, none>,
    c = #genc.matmul<panels_32, bf16>, d = #genc.matmul<panels_32, i8, column_scale>,
    e = #genc.matmul<panels_32, i4, group_scale_offset, group = 128>,
    f = #genc.matmul<panels_32, i4, group_scale, group = 32>,
    g = #genc.matmul<panels_32, i8, none>} {
  return
}

// -----

// expected-error @+1 {{only f32 weights are stored row-major; 'bf16' ones are packed in panels}}
func.func @row_major_bf16() attributes {a = #genc.matmul<row_major, bf16>}

// -----

// expected-error @+1 {{'i4' weights take quantization 'group_scale_offset' or 'group_scale'}}
func.func @int4_per_column() attributes {a = #genc.matmul<panels_32, i4, column_scale>}

// -----

// expected-error @+1 {{a group size goes with 'group_scale_offset' and 'group_scale' only, and it needs a positive one}}
func.func @int4_no_group() attributes {a = #genc.matmul<panels_32, i4, group_scale_offset>}

// -----

// expected-error @+1 {{a group size goes with 'group_scale_offset' and 'group_scale' only, and it needs a positive one}}
func.func @symmetric_int4_no_group() attributes {a = #genc.matmul<panels_32, i4, group_scale>}

// -----

// expected-error @+1 {{'i8' weights take quantization 'column_scale' or 'none'}}
func.func @int8_group_scale() attributes {a = #genc.matmul<panels_32, i8, group_scale, group = 32>}

// -----

// expected-error @+1 {{a group size goes with 'group_scale_offset' and 'group_scale' only, and it needs a positive one}}
func.func @negative_group() attributes {a = #genc.matmul<panels_32, i8, column_scale, group = -5>}

// -----

// expected-error @+1 {{a group size goes with 'group_scale_offset' and 'group_scale' only, and it needs a positive one}}
func.func @f32_group() attributes {a = #genc.matmul<panels_32, f32, none, group = 32>}

// -----

// expected-error @+1 {{matmul weights must be f32, bf16, i8 or i4, not 'f16'}}
func.func @f16() attributes {a = #genc.matmul<panels_32, f16>}

// -----

// expected-error @+2 {{expected ::mlir::genc::MatmulLayout to be one of: row_major, panels_32}}
// expected-error @+1 {{failed to parse Genc_MatmulEncodingAttr parameter 'layout'}}
func.func @layout() attributes {a = #genc.matmul<panels_16, f32>}
