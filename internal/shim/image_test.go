package shim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	imagespec "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of the OCI artifact form of a Wasm image, as runwasi and
// the wasm-oci specification name them.
const (
	wasmConfigMediaType = "application/vnd.wasm.config.v0+json"
	wasmLayerMediaType  = "application/wasm"
)

// imageSpec describes a test image: its files (path → content, all at
// the root) and the config's entry point, command and environment.
type imageSpec struct {
	name       string
	platform   ocispec.Platform
	files      map[string][]byte
	entrypoint []string
	cmd        []string
	env        []string
}

// ociArchive writes img as an OCI image layout in a tar file, as
// `ctr images import` takes it: one gzip layer holding the files, an
// image config, a manifest and an index naming it.
func ociArchive(t testing.TB, img imageSpec) []byte {
	t.Helper()
	blobs := map[digest.Digest][]byte{}
	add := func(mediaType string, data []byte) ocispec.Descriptor {
		d := digest.FromBytes(data)
		blobs[d] = data
		return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
	}
	mustJSON := func(v any) []byte {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for name, data := range img.files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	diffID := digest.Digest("sha256:" + hexSHA256(layer.Bytes()))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer.Bytes())
	zw.Close()

	config := ocispec.Image{
		Platform: img.platform,
		Config:   ocispec.ImageConfig{Entrypoint: img.entrypoint, Cmd: img.cmd, Env: img.env},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
	}
	manifest := ocispec.Manifest{
		Versioned: imagespec.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    add(ocispec.MediaTypeImageConfig, mustJSON(config)),
		Layers:    []ocispec.Descriptor{add(ocispec.MediaTypeImageLayerGzip, gz.Bytes())},
	}
	md := add(ocispec.MediaTypeImageManifest, mustJSON(manifest))
	md.Platform = &img.platform
	md.Annotations = map[string]string{
		"io.containerd.image.name": img.name,
		ocispec.AnnotationRefName:  img.name,
	}
	index := ocispec.Index{Versioned: imagespec.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}}

	var out bytes.Buffer
	ow := tar.NewWriter(&out)
	put := func(name string, data []byte) {
		if err := ow.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		ow.Write(data)
	}
	put(ocispec.ImageLayoutFile, mustJSON(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}))
	put("index.json", mustJSON(index))
	for d, data := range blobs {
		put("blobs/sha256/"+d.Encoded(), data)
	}
	if err := ow.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func hexSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
