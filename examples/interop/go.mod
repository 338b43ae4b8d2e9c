module github.com/pgactor/pgactor/examples/interop

go 1.26.0

replace github.com/pgactor/pgactor => ../..

require (
	github.com/jmoiron/sqlx v1.4.0
	github.com/pgactor/pgactor v0.0.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/xdg-go/scram v1.4.0 // indirect
	github.com/xdg-go/stringprep v1.0.4 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
