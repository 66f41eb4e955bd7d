#!/bin/bash
# Plants one bug at a time in the autograd rules, runs the gradient checks, restores.
# Usage: bash crates/autograd/plant-bugs.sh   (each planted bug must make a gradient check fail)
cd /work/main
run() { # file, python replace old, new, label
  cp "$1" /tmp/plant.bak
  python3 - "$1" "$2" "$3" <<'PY'
import sys; p,o,n=sys.argv[1:]; s=open(p).read(); assert o in s, o; open(p,'w').write(s.replace(o,n,1))
PY
  echo "== planted: $4"
  cargo test -q -p recon-autograd --lib 2>&1 | grep -E "gradient check failed|test result" | sort -u | head -4
  cp /tmp/plant.bak "$1"
}
run crates/autograd/src/ops/arith.rs "g.mul(&b_)?.sum_to_shape(a.shape())" "g.mul(&b_)?.mul_scalar(2.0)?.sum_to_shape(a.shape())" "factor of two in d(a*b)/da"
run crates/autograd/src/ops/matmul.rs "(false, false) => g.matmul_t(&b_, false, true)," "(false, false) => g.matmul_t(&b_.transpose()?, false, true)," "missing transpose in dA of A B (square case differs silently)"
run crates/autograd/src/ops/softmax.rs "let dot = g.mul(&y_)?.sum_axis(last, true)?;" "let dot = g.mul(&y_)?.sum_axis(0, true)?;" "softmax backward summing over the batch axis instead of the row"
run crates/autograd/src/ops/reduce.rs "Ok(vec![Some(g.reshape(&keep(&shape, axis))?.broadcast_to(&shape)?)])" "Ok(vec![Some(g.reshape(&keep(&shape, axis))?.broadcast_to(&shape)?.mul_scalar(shape[axis] as f64)?)])" "sum_axis backward scaled by the axis length (a mean/sum mix-up)"
