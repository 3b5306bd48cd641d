package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printer writes lines, keeping the first write error for done.
type printer struct {
	w   io.Writer
	tw  *tabwriter.Writer
	err error
}

// newTable is a printer of aligned columns (tab-separated cells).
func newTable(w io.Writer) *printer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	return &printer{w: tw, tw: tw}
}

// f writes one formatted piece.
func (p *printer) f(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

// done flushes a table and returns the first error.
func (p *printer) done() error {
	if p.err == nil && p.tw != nil {
		p.err = p.tw.Flush()
	}
	return p.err
}
