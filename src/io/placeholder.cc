// Placeholder so the io library has a source until safetensors.cc lands; delete it then.
