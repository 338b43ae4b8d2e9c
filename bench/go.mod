module github.com/pgactor/pgactor/bench

go 1.26

replace github.com/pgactor/pgactor => ../

require github.com/pgactor/pgactor v0.0.0
