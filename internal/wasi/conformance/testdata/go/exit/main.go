// Command exit prints its arguments and environment and exits with 3.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("args:", os.Args[1:])
	fmt.Println("GREETING:", os.Getenv("GREETING"))
	fmt.Fprintln(os.Stderr, "exiting with 3")
	os.Exit(3)
}
