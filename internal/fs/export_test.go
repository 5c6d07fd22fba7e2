package fs

// SetFastResolve turns the one-Lstat shortcut of Resolve on or off.
func SetFastResolve(on bool) { fastResolve = on }
