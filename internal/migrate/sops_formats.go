package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// sopsDotenvMetaPrefix starts the metadata keys of a sops dotenv file.
const sopsDotenvMetaPrefix = "sops_"

// parseSopsDotenv reads sops's dotenv format: KEY=VALUE lines split at the
// first '=', nothing unquoted, `\n` standing for a line break, '#' lines
// (encrypted or not) comments, and the metadata flattened into sops_ keys
// (sops_age__list_0__map_enc=...).
func parseSopsDotenv(name string, data []byte) ([]leaf, *sopsMeta, error) {
	meta := &sopsMeta{}
	age := map[int]*struct{ recipient, enc string }{}
	var leaves []leaf
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(string(line), "=")
		if !ok {
			return nil, nil, fmt.Errorf("%s:%d: not a sops dotenv line (no '=')", name, i+1)
		}
		v = strings.ReplaceAll(v, `\n`, "\n")
		rest, isMeta := strings.CutPrefix(k, sopsDotenvMetaPrefix)
		if !isMeta {
			leaves = append(leaves, leaf{path: []string{k}, value: v, line: i + 1})
			continue
		}
		field, _, _ := strings.Cut(rest, "__")
		switch field {
		case "age":
			// age__list_N__map_FIELD
			var n int
			var f string
			if _, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimPrefix(rest, "age__list_"), "__map_", " "), "%d %s", &n, &f); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: unreadable sops age metadata %s", name, i+1, k)
			}
			if age[n] == nil {
				age[n] = &struct{ recipient, enc string }{}
			}
			switch f {
			case "recipient":
				age[n].recipient = v
			case "enc":
				age[n].enc = v
			}
		case "lastmodified":
			meta.LastModified = v
		case "mac":
			meta.MAC = v
		case "unencrypted_suffix":
			meta.UnencryptedSuffix = v
		case "encrypted_suffix":
			meta.EncryptedSuffix = v
		case "unencrypted_regex":
			meta.UnencryptedRegex = v
		case "encrypted_regex":
			meta.EncryptedRegex = v
		case "unencrypted_comment_regex":
			meta.UnencryptedCommentRegex = v
		case "encrypted_comment_regex":
			meta.EncryptedCommentRegex = v
		case "mac_only_encrypted":
			meta.MACOnlyEncrypted, _ = strconv.ParseBool(v)
		case "key_groups":
			meta.KeyGroups = append(meta.KeyGroups, k)
		case "kms":
			meta.KMS = append(meta.KMS, k)
		case "gcp_kms":
			meta.GCPKMS = append(meta.GCPKMS, k)
		case "hckms":
			meta.HCKMS = append(meta.HCKMS, k)
		case "azure_kv":
			meta.AzureKV = append(meta.AzureKV, k)
		case "hc_vault":
			meta.Vault = append(meta.Vault, k)
		case "pgp":
			meta.PGP = append(meta.PGP, k)
		}
	}
	for n := 0; n < len(age); n++ {
		a, ok := age[n]
		if !ok {
			return nil, nil, fmt.Errorf("%s: unreadable sops age metadata (entry %d missing)", name, n)
		}
		meta.Age = append(meta.Age, struct {
			Recipient string `yaml:"recipient" json:"recipient"`
			Enc       string `yaml:"enc" json:"enc"`
		}{a.recipient, a.enc})
	}
	return leaves, meta, nil
}

// parseSopsYAML reads a sops YAML file with the YAML library sops uses,
// walking it as sops does: mappings in order, list items sharing their
// list's path, aliases followed, scalars typed by the library.
func parseSopsYAML(name string, data []byte) ([]leaf, *sopsMeta, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		// The library's messages can quote the text: say only where.
		return nil, nil, fmt.Errorf("%s: not valid YAML", name)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%s: a YAML file of several documents, which envsafe does not import from sops", name)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: a sops YAML file is a mapping at the top", name)
	}
	top := doc.Content[0]
	var meta *sopsMeta
	var leaves []leaf
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Value == "sops" && k.ShortTag() == "!!str" {
			meta = &sopsMeta{}
			if err := v.Decode(meta); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: unreadable sops metadata", name, v.Line)
			}
			continue
		}
		var err error
		if leaves, err = yamlLeaves(name, k, v, nil, false, leaves, 0); err != nil {
			return nil, nil, err
		}
	}
	if meta == nil {
		return nil, nil, fmt.Errorf("%s: no sops metadata", name)
	}
	return leaves, meta, nil
}

func yamlLeaves(name string, k, v *yaml.Node, path []string, inList bool, out []leaf, depth int) ([]leaf, error) {
	if depth > 64 {
		return nil, fmt.Errorf("%s:%d: nested too deeply", name, v.Line)
	}
	if k != nil {
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return nil, fmt.Errorf("%s:%d: a key that is not text", name, k.Line)
		}
		path = append(path[:len(path):len(path)], k.Value)
	}
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		var err error
		for i := 0; i+1 < len(v.Content); i += 2 {
			if out, err = yamlLeaves(name, v.Content[i], v.Content[i+1], path, inList, out, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case yaml.SequenceNode:
		var err error
		for _, item := range v.Content {
			if out, err = yamlLeaves(name, nil, item, path, true, out, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case yaml.ScalarNode:
		var value any
		if err := v.Decode(&value); err != nil {
			return nil, fmt.Errorf("%s:%d: unreadable value", name, v.Line)
		}
		if n, ok := value.(int64); ok {
			value = int(n)
		}
		if u, ok := value.(uint64); ok {
			value = fmt.Sprint(u)
		}
		return append(out, leaf{path: path, value: value, line: v.Line, inList: inList}), nil
	}
	return nil, fmt.Errorf("%s:%d: unreadable YAML node", name, v.Line)
}

// parseSopsJSON reads a sops JSON file in order with the standard decoder,
// numbers as sops reads them (int when whole and in range, else float64).
func parseSopsJSON(name string, data []byte) ([]leaf, *sopsMeta, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	bad := fmt.Errorf("%s: not valid JSON", name)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, bad
	}
	var meta *sopsMeta
	var leaves []leaf
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, bad
		}
		k, _ := t.(string)
		if k == "sops" {
			meta = &sopsMeta{}
			if err := dec.Decode(meta); err != nil {
				return nil, nil, fmt.Errorf("%s: unreadable sops metadata", name)
			}
			continue
		}
		if leaves, err = jsonLeaves(name, dec, []string{k}, false, leaves, 0); err != nil {
			return nil, nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, bad
	}
	if meta == nil {
		return nil, nil, fmt.Errorf("%s: no sops metadata", name)
	}
	return leaves, meta, nil
}

func jsonLeaves(name string, dec *json.Decoder, path []string, inList bool, out []leaf, depth int) ([]leaf, error) {
	bad := fmt.Errorf("%s: not valid JSON", name)
	if depth > 64 {
		return nil, fmt.Errorf("%s: nested too deeply", name)
	}
	t, err := dec.Token()
	if err != nil {
		return nil, bad
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, bad
				}
				k, _ := kt.(string)
				if out, err = jsonLeaves(name, dec, append(path[:len(path):len(path)], k), inList, out, depth+1); err != nil {
					return nil, err
				}
			}
		case '[':
			for dec.More() {
				if out, err = jsonLeaves(name, dec, path, true, out, depth+1); err != nil {
					return nil, err
				}
			}
		default:
			return nil, bad
		}
		if _, err := dec.Token(); err != nil {
			return nil, bad
		}
		return out, nil
	case json.Number:
		var v any
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			v = int(i)
		} else if f, err := t.Float64(); err == nil {
			v = f
		} else {
			return nil, fmt.Errorf("%s: a number out of range", name)
		}
		return append(out, leaf{path: path, value: v, inList: inList}), nil
	default: // string, bool, nil
		return append(out, leaf{path: path, value: t, inList: inList}), nil
	}
}
