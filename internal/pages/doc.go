// Package pages finds and clears the pages of anonymous memory a process
// has touched, for the reservations that are handed from one guest to
// the next (linear memories, a micro-VM's data region): what one guest
// wrote must read as zero to the next, and clearing only what was
// touched costs what the guest used, not what it could have used.
package pages
