// Command inventory is the WASI program that `make run` runs on
// wasmvisor (see demo/run.sh). It reads the stock counts of several
// warehouses, one CSV file per warehouse in /stock of its root file
// system (a disk image under wasmvisor run --disk), adds them up per
// item, and writes a report to OUTDIR (default /out): the stock and
// value of every item, the items to reorder, and the SHA-256 of each
// input file. It also leaves a copy of the report in its root file
// system, which under --disk goes to a copy-on-write overlay, never to
// the image. It prints what it read and wrote, the first line of the
// root's /etc/issue, and the ISOLATION variable of its environment.
//
// Build it with GOOS=wasip1 GOARCH=wasm go build -o inventory.wasm .
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// reorderBelow is the total quantity under which an item is reordered.
const reorderBelow = 50

// item is one stock-keeping unit over all warehouses.
type item struct {
	sku, name  string
	quantity   int
	priceCents int
	warehouses []string
}

func main() {
	outDir := "/out"
	if len(os.Args) > 1 {
		outDir = os.Args[1]
	}
	if err := run(outDir); err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}

func run(outDir string) error {
	files, err := filepath.Glob("/stock/*.csv")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no /stock/*.csv files in the root file system")
	}
	items := map[string]*item{}
	var sums strings.Builder
	var bytes, rows int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		bytes += len(data)
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(data), f)
		n, err := add(items, strings.TrimSuffix(filepath.Base(f), ".csv"), string(data))
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		rows += n
	}

	sorted := make([]*item, 0, len(items))
	for _, it := range items {
		sorted = append(sorted, it)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].sku < sorted[j].sku })

	var report strings.Builder
	var total int
	var reorder []string
	fmt.Fprintf(&report, "%-6s %-18s %8s %10s  %s\n", "sku", "item", "quantity", "value", "warehouses")
	for _, it := range sorted {
		value := it.quantity * it.priceCents
		total += value
		fmt.Fprintf(&report, "%-6s %-18s %8d %10s  %s\n", it.sku, it.name, it.quantity, money(value), strings.Join(it.warehouses, " "))
		if it.quantity < reorderBelow {
			reorder = append(reorder, fmt.Sprintf("%s (%d left)", it.sku, it.quantity))
		}
	}
	fmt.Fprintf(&report, "\ntotal value: %s\n", money(total))
	fmt.Fprintf(&report, "reorder (under %d): %s\n", reorderBelow, strings.Join(reorder, ", "))
	fmt.Fprintf(&report, "\ninputs (SHA-256):\n%s", sums.String())

	out := filepath.Join(outDir, "report.txt")
	if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
		return err
	}

	if err := os.WriteFile("/last-report.txt", []byte(report.String()), 0o644); err != nil {
		return err
	}

	fmt.Printf("read %d rows from %d files in /stock (%d bytes)\n", rows, len(files), bytes)
	fmt.Printf("computed %d items worth %s, %d to reorder\n", len(sorted), money(total), len(reorder))
	fmt.Printf("wrote %s (%d bytes), and a copy to /last-report.txt\n", out, report.Len())
	fmt.Printf("ran as %s/%s on a root file system that says: %s\n", runtime.GOOS, runtime.GOARCH, issue())
	fmt.Printf("environment: ISOLATION=%s\n", os.Getenv("ISOLATION"))
	return nil
}

// add adds the rows of one warehouse's CSV file (sku, item, quantity,
// unit_price, with a header line) to items and returns how many it read.
func add(items map[string]*item, warehouse, data string) (int, error) {
	records, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		return 0, err
	}
	if len(records) == 0 {
		return 0, nil
	}
	for i, r := range records[1:] {
		if len(r) != 4 {
			return 0, fmt.Errorf("line %d: %d fields, want 4", i+2, len(r))
		}
		qty, err := strconv.Atoi(r[2])
		if err != nil {
			return 0, fmt.Errorf("line %d: quantity: %v", i+2, err)
		}
		price, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			return 0, fmt.Errorf("line %d: unit_price: %v", i+2, err)
		}
		it := items[r[0]]
		if it == nil {
			it = &item{sku: r[0], name: r[1], priceCents: int(price*100 + 0.5)}
			items[r[0]] = it
		}
		it.quantity += qty
		it.warehouses = append(it.warehouses, warehouse)
	}
	return len(records) - 1, nil
}

// money formats an amount in cents.
func money(cents int) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

// issue returns the first line of /etc/issue, or why there is none.
func issue() string {
	f, err := os.Open("/etc/issue")
	if err != nil {
		return fmt.Sprint(err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Sprint(err)
	}
	return strings.TrimSpace(line)
}
