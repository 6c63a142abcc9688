// Package camera holds frame sources, frame conversion, face analysis and QR decoding.
package camera
