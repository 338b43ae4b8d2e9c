package stdlib

// SeveralStatements exposes severalStatements to the tests.
var SeveralStatements = severalStatements
