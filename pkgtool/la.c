/* SPDX-License-Identifier: MIT */
/* la: libarchive, opened with dlopen the first time pkgtool needs it
 * (unless configure linked it in: LA_STATIC) */
#define LA_IMPLEMENTATION
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "la.h"
#include "util.h"

#ifndef LA_STATIC

static const struct {
	const char *name;
	size_t off;
} syms[] = {
	{"archive_entry_copy_hardlink", offsetof(struct la, entry_copy_hardlink)},
	{"archive_entry_copy_pathname", offsetof(struct la, entry_copy_pathname)},
	{"archive_entry_copy_symlink", offsetof(struct la, entry_copy_symlink)},
	{"archive_entry_filetype", offsetof(struct la, entry_filetype)},
	{"archive_entry_free", offsetof(struct la, entry_free)},
	{"archive_entry_hardlink", offsetof(struct la, entry_hardlink)},
	{"archive_entry_new", offsetof(struct la, entry_new)},
	{"archive_entry_pathname", offsetof(struct la, entry_pathname)},
	{"archive_entry_perm", offsetof(struct la, entry_perm)},
	{"archive_entry_set_filetype", offsetof(struct la, entry_set_filetype)},
	{"archive_entry_set_gid", offsetof(struct la, entry_set_gid)},
	{"archive_entry_set_hardlink", offsetof(struct la, entry_set_hardlink)},
	{"archive_entry_set_mtime", offsetof(struct la, entry_set_mtime)},
	{"archive_entry_set_pathname", offsetof(struct la, entry_set_pathname)},
	{"archive_entry_set_perm", offsetof(struct la, entry_set_perm)},
	{"archive_entry_set_size", offsetof(struct la, entry_set_size)},
	{"archive_entry_set_symlink", offsetof(struct la, entry_set_symlink)},
	{"archive_entry_set_uid", offsetof(struct la, entry_set_uid)},
	{"archive_entry_size", offsetof(struct la, entry_size)},
	{"archive_entry_symlink", offsetof(struct la, entry_symlink)},
	{"archive_error_string", offsetof(struct la, error_string)},
	{"archive_read_data", offsetof(struct la, read_data)},
	{"archive_read_data_block", offsetof(struct la, read_data_block)},
	{"archive_read_data_skip", offsetof(struct la, read_data_skip)},
	{"archive_read_free", offsetof(struct la, read_free)},
	{"archive_read_new", offsetof(struct la, read_new)},
	{"archive_read_next_header", offsetof(struct la, read_next_header)},
	{"archive_read_open_filename", offsetof(struct la, read_open_filename)},
	{"archive_read_support_filter_all", offsetof(struct la, read_support_filter_all)},
	{"archive_read_support_format_7zip", offsetof(struct la, read_support_format_7zip)},
	{"archive_read_support_format_ar", offsetof(struct la, read_support_format_ar)},
	{"archive_read_support_format_cab", offsetof(struct la, read_support_format_cab)},
	{"archive_read_support_format_cpio", offsetof(struct la, read_support_format_cpio)},
	{"archive_read_support_format_iso9660", offsetof(struct la, read_support_format_iso9660)},
	{"archive_read_support_format_lha", offsetof(struct la, read_support_format_lha)},
	{"archive_read_support_format_rar", offsetof(struct la, read_support_format_rar)},
	{"archive_read_support_format_rar5", offsetof(struct la, read_support_format_rar5)},
	{"archive_read_support_format_tar", offsetof(struct la, read_support_format_tar)},
	{"archive_read_support_format_warc", offsetof(struct la, read_support_format_warc)},
	{"archive_read_support_format_zip", offsetof(struct la, read_support_format_zip)},
	{"archive_write_add_filter_none", offsetof(struct la, write_add_filter_none)},
	{"archive_write_add_filter_xz", offsetof(struct la, write_add_filter_xz)},
	{"archive_write_add_filter_zstd", offsetof(struct la, write_add_filter_zstd)},
	{"archive_write_close", offsetof(struct la, write_close)},
	{"archive_write_data", offsetof(struct la, write_data)},
	{"archive_write_data_block", offsetof(struct la, write_data_block)},
	{"archive_write_disk_new", offsetof(struct la, write_disk_new)},
	{"archive_write_disk_set_options", offsetof(struct la, write_disk_set_options)},
	{"archive_write_finish_entry", offsetof(struct la, write_finish_entry)},
	{"archive_write_free", offsetof(struct la, write_free)},
	{"archive_write_header", offsetof(struct la, write_header)},
	{"archive_write_new", offsetof(struct la, write_new)},
	{"archive_write_open_fd", offsetof(struct la, write_open_fd)},
	{"archive_write_open_filename", offsetof(struct la, write_open_filename)},
	{"archive_write_set_filter_option", offsetof(struct la, write_set_filter_option)},
	{"archive_write_set_format_pax_restricted", offsetof(struct la, write_set_format_pax_restricted)},
};

const struct la *
la_get(void)
{
	static struct la la;
	static int loaded;
	void *dl;
	size_t i;

	if (loaded)
		return &la;
	/* lazily: libarchive and the libraries it pulls in (libxml2, ICU,
	 * libstdc++...) have thousands of function references, and a package
	 * step calls a few dozen of them; the table below is filled by dlsym */
	dl = dlopen("libarchive.so.13", RTLD_LAZY | RTLD_LOCAL);
	if (!dl)
		fatal("cannot load libarchive.so.13 (%s); install the Debian package libarchive13",
		    dlerror());
	for (i = 0; i < LEN(syms); i++) {
		void *p = dlsym(dl, syms[i].name);

		if (!p)
			fatal("libarchive.so.13 lacks %s; pkgtool needs libarchive 3.6 or newer",
			    syms[i].name);
		/* a function pointer stored through its object representation (POSIX dlsym) */
		memcpy((char *)&la + syms[i].off, &p, sizeof(p));
	}
	loaded = 1;
	return &la;
}
#endif
