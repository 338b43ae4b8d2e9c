package main

import (
	"fmt"

	"github.com/pgactor/pgactor/internal/pgtest"
)

func main() {
	c, err := pgtest.Start()
	fmt.Println(err)
	if err == nil {
		fmt.Println(c.DSN(pgtest.Trust), c.PID(), c.Version)
		c.Close()
	}
}
