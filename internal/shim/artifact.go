package shim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/content"
	"github.com/containerd/containerd/images"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/platforms"
)

// Media types of Wasm modules stored as layers of their own: the OCI
// artifact form (config application/vnd.wasm.config.v0+json, layer
// application/wasm, as the CNCF Wasm working group defines it) and the
// layer types runwasi also reads from images.
const wasmConfigMediaType = "application/vnd.wasm.config.v0+json"

var wasmLayerMediaTypes = []string{
	"application/wasm",
	"application/vnd.wasm.content.layer.v1+wasm",
	"application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
}

// errNoWasmLayer says that a container's image keeps no module in a
// layer of its own: the module must be a file of its root file system.
var errNoWasmLayer = errors.New("the container's image has no Wasm layer")

// moduleFromImage reads the Wasm module of container id from its
// image's layers in containerd's content store, at address, as runwasi
// does: the first layer of a Wasm media type. containerd 1.6.25+ and
// 1.7.7+ run such images with an empty root file system (earlier ones
// fail to unpack them before the shim is asked).
func moduleFromImage(ctx context.Context, address, id string) ([]byte, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, err
	}
	client, err := containerd.New(address, containerd.WithDefaultNamespace(ns), containerd.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connecting to containerd: %w", err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(ctx, ns), time.Minute)
	defer cancel()
	info, err := client.ContainerService().Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if info.Image == "" {
		return nil, errNoWasmLayer
	}
	img, err := client.ImageService().Get(ctx, info.Image)
	if err != nil {
		return nil, err
	}
	cs := client.ContentStore()
	// An artifact's config names no platform containerd knows, so any
	// manifest serves.
	manifest, err := images.Manifest(ctx, cs, img.Target, platforms.All)
	if err != nil {
		return nil, err
	}
	for _, l := range manifest.Layers {
		if slices.Contains(wasmLayerMediaTypes, l.MediaType) {
			return content.ReadBlob(ctx, cs, l)
		}
	}
	return nil, errNoWasmLayer
}
