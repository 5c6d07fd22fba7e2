// Command echo accepts connections on the listening socket it finds at
// descriptor 3 and echoes each line back in upper case, until it has
// served as many connections as its argument says.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		c, err := l.Accept()
		if err != nil {
			fmt.Println("FAIL:", err)
			os.Exit(1)
		}
		go func() {
			defer func() { done <- struct{}{} }()
			defer c.Close()
			s := bufio.NewScanner(c)
			for s.Scan() {
				fmt.Fprintln(c, strings.ToUpper(s.Text()))
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-done
	}
	fmt.Println("served", n)
}
