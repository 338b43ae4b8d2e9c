// Package futurecheck reports pgactor futures that are dropped without
// being awaited. A pgactor command (Query, Exec, SendBatch, ...) returns a
// *futures.Future at once, and the future is the only way the command's
// error reaches the caller: a future that is thrown away loses that error
// in silence, and the code still compiles and passes go vet.
//
// A future is reported when it is
//
//   - the value of an expression statement: pool.Exec(ctx, sql)
//   - assigned to the blank identifier: _ = pool.Exec(ctx, sql)
//   - the call of a go or defer statement: go pool.Exec(ctx, sql). The
//     goroutine buys nothing, since the call returns at once, and the
//     future is lost all the same.
//
// It also reports defer pool.Exec(ctx, sql).Await(ctx): a deferred call's
// receiver and arguments are evaluated at once, so the command runs when
// the defer statement is reached, and only Await waits for the end of the
// function. Defer a func literal instead.
//
// Futures returned by methods of session.Batch and session.Tx are not
// reported: a batch's outcome is its SendBatch future, and a transaction's
// commands fail its Commit. Nor is a dropped SendBatch future: a batch is
// often read through its commands' futures or Rows instead. (At run time,
// a failed batch nobody read is reported; see below.) A local variable that holds a
// future and is never read is already a compile error ("declared and not
// used"); a future overwritten before it was read is not detected.
//
// Run it as a vet tool:
//
//	go install github.com/pgactor/pgactor/examples/futurecheck/cmd/futurecheck@latest
//	go vet -vettool=$(which futurecheck) ./...
//
// At run time, session.Options.OnUnobservedError and Options.Logger report
// the failures of dropped futures that this check could not see.
package futurecheck

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// Analyzer reports dropped pgactor futures.
var Analyzer = &analysis.Analyzer{
	Name:     "futurecheck",
	Doc:      "report pgactor futures that are dropped without being awaited\n\nA *futures.Future from github.com/pgactor/pgactor carries its command's error; discarding it (an expression statement, an assignment to _, a go or defer statement) loses that error.",
	URL:      "https://pkg.go.dev/github.com/pgactor/pgactor/examples/futurecheck",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

const (
	futuresPath = "github.com/pgactor/pgactor/futures"
	sessionPath = "github.com/pgactor/pgactor/session"
)

func run(pass *analysis.Pass) (any, error) {
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	nodes := []ast.Node{(*ast.ExprStmt)(nil), (*ast.AssignStmt)(nil), (*ast.GoStmt)(nil), (*ast.DeferStmt)(nil)}
	ins.Preorder(nodes, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.ExprStmt:
			checkDropped(pass, n.X, "the future of %s is dropped: await it, or its error is lost")
		case *ast.GoStmt:
			checkDropped(pass, n.Call, "go %s drops its future: the call returns at once; await the future instead")
		case *ast.DeferStmt:
			checkDropped(pass, n.Call, "defer %s drops its future: await it, or its error is lost")
			checkDeferredEarly(pass, n.Call)
		case *ast.AssignStmt:
			checkBlank(pass, n)
		}
	})
	return nil, nil
}

// checkDropped reports e when it is a call whose result is a future.
func checkDropped(pass *analysis.Pass, e ast.Expr, format string) {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || exempt(pass, call) {
		return
	}
	t := pass.TypesInfo.TypeOf(call)
	if t == nil {
		return
	}
	if tuple, ok := t.(*types.Tuple); ok {
		for v := range tuple.Variables() {
			if isFuture(v.Type()) {
				pass.Reportf(call.Pos(), format, callName(call))
				return
			}
		}
		return
	}
	if isFuture(t) {
		pass.Reportf(call.Pos(), format, callName(call))
	}
}

// checkDeferredEarly reports a command whose future is the receiver or an
// argument of a deferred call: defer evaluates them at once, so the
// command runs now and only the last call waits for the function's end.
func checkDeferredEarly(pass *analysis.Pass, call *ast.CallExpr) {
	operands := append([]ast.Expr(nil), call.Args...)
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		operands = append(operands, sel.X)
	}
	for _, e := range operands {
		c, ok := ast.Unparen(e).(*ast.CallExpr)
		if ok && isFuture(pass.TypesInfo.TypeOf(c)) {
			pass.Reportf(c.Pos(), "%s runs when the defer statement is reached, not when the function returns: defer a func literal instead", callName(c))
		}
	}
}

// checkBlank reports futures assigned to _.
func checkBlank(pass *analysis.Pass, as *ast.AssignStmt) {
	report := func(lhs ast.Expr, rhs ast.Expr, t types.Type) {
		if id, ok := lhs.(*ast.Ident); ok && id.Name == "_" && isFuture(t) {
			if call, ok := ast.Unparen(rhs).(*ast.CallExpr); ok && exempt(pass, call) {
				return
			}
			pass.Reportf(lhs.Pos(), "a future assigned to _ is dropped: await it, or its error is lost")
		}
	}
	if len(as.Lhs) == len(as.Rhs) {
		for i, lhs := range as.Lhs {
			report(lhs, as.Rhs[i], pass.TypesInfo.TypeOf(as.Rhs[i]))
		}
		return
	}
	if len(as.Rhs) != 1 {
		return
	}
	// x, _ = f(): one call with several results.
	tuple, ok := pass.TypesInfo.TypeOf(as.Rhs[0]).(*types.Tuple)
	if !ok || tuple.Len() != len(as.Lhs) {
		return
	}
	for i, lhs := range as.Lhs {
		report(lhs, as.Rhs[0], tuple.At(i).Type())
	}
}

// isFuture reports whether t is *futures.Future[T] of pgactor.
func isFuture(t types.Type) bool {
	ptr, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := types.Unalias(ptr.Elem()).(*types.Named)
	if !ok {
		return false
	}
	obj := named.Origin().Obj()
	return obj.Name() == "Future" && obj.Pkg() != nil && obj.Pkg().Path() == futuresPath
}

// exempt reports whether call is a method of session.Batch or session.Tx,
// or a SendBatch, whose futures may be left alone (see the package
// comment).
func exempt(pass *analysis.Pass, call *ast.CallExpr) bool {
	fn, ok := typeutil.Callee(pass.TypesInfo, call).(*types.Func)
	if !ok {
		return false
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return false
	}
	t := types.Unalias(recv.Type())
	if ptr, ok := t.(*types.Pointer); ok {
		t = types.Unalias(ptr.Elem())
	}
	named, ok := t.(*types.Named)
	if !ok {
		return false
	}
	obj := named.Obj()
	if obj.Pkg() == nil || obj.Pkg().Path() != sessionPath {
		return false
	}
	return obj.Name() == "Batch" || obj.Name() == "Tx" || fn.Name() == "SendBatch"
}

// callName names the called function for a message: "pool.Exec" or "Exec".
func callName(call *ast.CallExpr) string {
	switch fn := ast.Unparen(call.Fun).(type) {
	case *ast.SelectorExpr:
		if x, ok := ast.Unparen(fn.X).(*ast.Ident); ok {
			return x.Name + "." + fn.Sel.Name
		}
		return fn.Sel.Name
	case *ast.Ident:
		return fn.Name
	case *ast.IndexExpr:
		if id, ok := fn.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return "the call"
}
