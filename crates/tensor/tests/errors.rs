//! Checks that bad input to `recon-tensor` operations (shapes that do not fit,
//! reshapes to the wrong size, axes that do not exist, rows out of range, conv
//! weights with the wrong channel count, bad windows) returns `Err` instead of
//! panicking, and that an error about two shapes names both in its message.

use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};

use recon_tensor::{Cpu64, Padding, Tensor, TensorError, Window2d};

type T64 = Tensor<Cpu64>;
const CPU: Cpu64 = Cpu64::new();

fn zeros(shape: &[usize]) -> T64 {
    Tensor::zeros(&CPU, shape).unwrap()
}

/// Runs `f`, which must return `Err` without panicking; returns the message.
#[track_caller]
fn err<T: Debug>(what: &str, f: impl FnOnce() -> recon_tensor::Result<T>) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(_) => panic!("{what}: panicked instead of returning Err"),
        Ok(Ok(v)) => panic!("{what}: returned Ok({v:?}), expected Err"),
        Ok(Err(e)) => e.to_string(),
    }
}

/// As `err`, and the message names both shapes.
#[track_caller]
fn shape_err<T: Debug>(what: &str, lhs: &[usize], rhs: &[usize], f: impl FnOnce() -> recon_tensor::Result<T>) {
    let msg = err(what, f);
    let (l, r) = (format!("{lhs:?}"), format!("{rhs:?}"));
    assert!(msg.contains(&l) && msg.contains(&r), "{what}: message {msg:?} does not name both {l} and {r}");
}

#[test]
fn binary_shape_mismatch() {
    let (a, b) = (zeros(&[3, 4]), zeros(&[5]));
    shape_err("add [3,4]+[5]", &[3, 4], &[5], || a.add(&b));
    shape_err("sub [5]-[3,4]", &[5], &[3, 4], || b.sub(&a));
    shape_err("mul [2,3]*[3,2]", &[2, 3], &[3, 2], || zeros(&[2, 3]).mul(&zeros(&[3, 2])));
    shape_err("div [4,1,3]/[5,2]", &[4, 1, 3], &[5, 2], || zeros(&[4, 1, 3]).div(&zeros(&[5, 2])));
}

#[test]
fn matmul_shape_mismatch() {
    shape_err("matmul [3,4]x[5,2]", &[3, 4], &[5, 2], || zeros(&[3, 4]).matmul(&zeros(&[5, 2])));
    shape_err("matmul_t [3,4]^T x [3,2]^T", &[3, 4], &[2, 5], || zeros(&[3, 4]).matmul_t(&zeros(&[2, 5]), true, true));
    shape_err("batch sizes", &[2, 3, 4], &[3, 4, 5], || zeros(&[2, 3, 4]).matmul(&zeros(&[3, 4, 5])));
    shape_err("shared weight", &[2, 3, 4], &[5, 6], || zeros(&[2, 3, 4]).matmul(&zeros(&[5, 6])));
    shape_err("rank 1", &[4], &[4, 2], || zeros(&[4]).matmul(&zeros(&[4, 2])));
    shape_err("rank 4", &[1, 2, 3, 4], &[4, 2], || zeros(&[1, 2, 3, 4]).matmul(&zeros(&[4, 2])));
}

#[test]
fn layout_errors() {
    let t = zeros(&[3, 4]);
    shape_err("reshape [3,4] to [5,2]", &[3, 4], &[5, 2], || t.reshape(&[5, 2]));
    shape_err("reshape [3,4] to []", &[3, 4], &[], || t.reshape(&[]));
    shape_err("broadcast_to [3,4] -> [4,3]", &[3, 4], &[4, 3], || t.broadcast_to(&[4, 3]));
    shape_err("broadcast_to [3,4] -> [4]", &[3, 4], &[4], || t.broadcast_to(&[4]));
    shape_err("sum_to_shape [3,4] -> [2]", &[3, 4], &[2], || t.sum_to_shape(&[2]));
    err("sum_to_shape to a larger shape", || t.sum_to_shape(&[2, 3, 4]));
    err("permute repeated axis", || t.permute(&[0, 0]));
    err("permute axis out of range", || t.permute(&[0, 2]));
    err("permute too few axes", || t.permute(&[0]));
    err("permute too many axes", || t.permute(&[0, 1, 2]));
    err("transpose rank 1", || zeros(&[3]).transpose());
    err("gather_rows out of range", || t.gather_rows(&[0, 3]));
    err("gather_rows of a scalar", || zeros(&[]).gather_rows(&[0]));
    err("slice_rows past the end", || t.slice_rows(2, 4));
    err("slice_rows reversed", || t.slice_rows(2, 1));
    err("from_vec wrong length", || Tensor::from_vec(&CPU, vec![1.0; 5], &[2, 3]));
    err("item of many", || t.item());
}

#[test]
fn bad_axis() {
    let t = zeros(&[3, 4]);
    err("sum_axis 2 of rank 2", || t.sum_axis(2, false));
    err("max_axis 5 of rank 2", || t.max_axis(5, true));
    err("mean_axis 2 of rank 2", || t.mean_axis(2, false));
    err("sum_axis of a scalar", || zeros(&[]).sum_axis(0, false));
    err("max over an empty axis", || zeros(&[0, 3]).max_axis(0, false));
    err("mean_all of an empty tensor", || zeros(&[0]).mean_all());
    err("softmax of a scalar", || zeros(&[]).softmax());
    err("log_softmax with an empty last axis", || zeros(&[3, 0]).log_softmax());
}

#[test]
fn window_errors() {
    let x = zeros(&[1, 3, 5, 5]);
    let w = zeros(&[2, 4, 3, 3]);
    shape_err("conv2d channel mismatch", &[1, 3, 5, 5], &[2, 4, 3, 3], || x.conv2d(&w, 1, Padding::Same));
    shape_err("conv2d weight rank", &[1, 3, 5, 5], &[2, 3, 3], || x.conv2d(&zeros(&[2, 3, 3]), 1, Padding::Same));
    shape_err("conv2d input rank", &[3, 5, 5], &[2, 3, 3, 3], || zeros(&[3, 5, 5]).conv2d(&zeros(&[2, 3, 3, 3]), 1, Padding::Same));
    shape_err("conv_transpose2d channel mismatch", &[1, 3, 5, 5], &[2, 4, 3, 3], || x.conv_transpose2d(&w, 2, Padding::Same));
    err("conv2d kernel larger than a valid input", || x.conv2d(&zeros(&[2, 3, 7, 3]), 1, Padding::Valid));
    err("conv2d stride 0", || x.conv2d(&zeros(&[2, 3, 3, 3]), 0, Padding::Same));
    err("conv2d empty kernel", || x.conv2d(&zeros(&[2, 3, 0, 3]), 1, Padding::Same));
    err("conv_transpose2d stride 0", || x.conv_transpose2d(&zeros(&[3, 2, 3, 3]), 0, Padding::Same));
    err("max_pool2d kernel 0", || x.max_pool2d(0, 1, Padding::Valid).map(|p| p.out));
    err("max_pool2d kernel too large", || x.max_pool2d(6, 1, Padding::Valid).map(|p| p.out));
    err("max_pool2d rank 3", || zeros(&[3, 5, 5]).max_pool2d(2, 2, Padding::Valid).map(|p| p.out));
    err("upsample factor 0", || x.upsample_nearest2d(0));
    err("upsample rank 3", || zeros(&[3, 5, 5]).upsample_nearest2d(2));

    let win = Window2d::forward("t", &[1, 3, 5, 5], (3, 3), 1, Padding::Valid).unwrap();
    shape_err("im2col wrong input", &[1, 3, 6, 5], &[1, 3, 5, 5], || zeros(&[1, 3, 6, 5]).im2col(&win));
    shape_err("col2im wrong columns", &[1, 27, 10], &[1, 27, 9], || zeros(&[1, 27, 10]).col2im(&win));
}

#[test]
fn shape_errors_are_the_shape_variant() {
    match zeros(&[3, 4]).add(&zeros(&[5])).unwrap_err() {
        TensorError::Shape { lhs, rhs, .. } => assert_eq!((lhs, rhs), (vec![3, 4], vec![5])),
        e => panic!("expected TensorError::Shape, got {e:?}"),
    }
    match zeros(&[3, 4]).matmul(&zeros(&[5, 2])).unwrap_err() {
        TensorError::Shape { lhs, rhs, .. } => assert_eq!((lhs, rhs), (vec![3, 4], vec![5, 2])),
        e => panic!("expected TensorError::Shape, got {e:?}"),
    }
}
