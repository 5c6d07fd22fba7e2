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
	return layoutArchive(t, blobs, md)
}

// layoutArchive writes an OCI image layout holding blobs, whose index
// names manifest, in a tar file.
func layoutArchive(t testing.TB, blobs map[digest.Digest][]byte, manifest ocispec.Descriptor) []byte {
	index, err := json.Marshal(ocispec.Index{Versioned: imagespec.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{manifest}})
	if err != nil {
		t.Fatal(err)
	}
	layout, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	var out bytes.Buffer
	ow := tar.NewWriter(&out)
	put := func(name string, data []byte) {
		if err := ow.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		ow.Write(data)
	}
	put(ocispec.ImageLayoutFile, layout)
	put("index.json", index)
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

// wasmArtifactArchive writes the OCI artifact form of a Wasm module in
// a tar file for `ctr images import`: a manifest whose config is
// application/vnd.wasm.config.v0+json and whose one layer is the module
// as application/wasm, as the CNCF Wasm working group defines it.
func wasmArtifactArchive(t testing.TB, name string, module []byte) []byte {
	t.Helper()
	blobs := map[digest.Digest][]byte{}
	add := func(mediaType string, data []byte) ocispec.Descriptor {
		d := digest.FromBytes(data)
		blobs[d] = data
		return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
	}
	layer := add(wasmLayerMediaTypes[0], module)
	config, _ := json.Marshal(map[string]any{
		"created": "2026-01-01T00:00:00Z", "architecture": "wasm", "os": "wasip1",
		"layerDigests": []string{layer.Digest.String()},
	})
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned:    imagespec.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: wasmLayerMediaTypes[0],
		Config:       add(wasmConfigMediaType, config),
		Layers:       []ocispec.Descriptor{layer},
	})
	md := add(ocispec.MediaTypeImageManifest, manifest)
	md.Annotations = map[string]string{"io.containerd.image.name": name, ocispec.AnnotationRefName: name}
	return layoutArchive(t, blobs, md)
}
