module example.com/app

go 1.26.0

require github.com/pgactor/pgactor v0.0.0

require (
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/xdg-go/scram v1.4.0 // indirect
	github.com/xdg-go/stringprep v1.0.4 // indirect
	golang.org/x/sync v0.1.0 // indirect
	golang.org/x/text v0.3.8 // indirect
)

replace github.com/pgactor/pgactor => ../../../..
