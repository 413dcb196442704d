/* SPDX-License-Identifier: MIT */
/* la: libarchive, linked in (LA_STATIC) or opened with dlopen the first
 * time pkgtool needs it */
#ifndef PKGTOOL_LA_H
#define PKGTOOL_LA_H

/*
 * pkgtool starts once per Ninja edge, and libarchive brings libxml2, ICU and
 * libstdc++ with it: about 3 ms of dynamic linking that lifecycle steps and
 * cached fetches never need. Files that use libarchive include this header
 * instead of <archive.h>; each call goes through a table filled on first use.
 * When configure could link libarchive's static archive (LA_STATIC), only
 * the compression libraries are loaded at start and calls go direct: the
 * table and its macros are left out.
 */
#include <archive.h>
#include <archive_entry.h>

struct la {
	__typeof__(archive_entry_copy_hardlink) *entry_copy_hardlink;
	__typeof__(archive_entry_copy_pathname) *entry_copy_pathname;
	__typeof__(archive_entry_copy_symlink) *entry_copy_symlink;
	__typeof__(archive_entry_filetype) *entry_filetype;
	__typeof__(archive_entry_free) *entry_free;
	__typeof__(archive_entry_hardlink) *entry_hardlink;
	__typeof__(archive_entry_new) *entry_new;
	__typeof__(archive_entry_pathname) *entry_pathname;
	__typeof__(archive_entry_perm) *entry_perm;
	__typeof__(archive_entry_set_filetype) *entry_set_filetype;
	__typeof__(archive_entry_set_gid) *entry_set_gid;
	__typeof__(archive_entry_set_hardlink) *entry_set_hardlink;
	__typeof__(archive_entry_set_mtime) *entry_set_mtime;
	__typeof__(archive_entry_set_pathname) *entry_set_pathname;
	__typeof__(archive_entry_set_perm) *entry_set_perm;
	__typeof__(archive_entry_set_size) *entry_set_size;
	__typeof__(archive_entry_set_symlink) *entry_set_symlink;
	__typeof__(archive_entry_set_uid) *entry_set_uid;
	__typeof__(archive_entry_size) *entry_size;
	__typeof__(archive_entry_symlink) *entry_symlink;
	__typeof__(archive_error_string) *error_string;
	__typeof__(archive_read_data) *read_data;
	__typeof__(archive_read_data_block) *read_data_block;
	__typeof__(archive_read_data_skip) *read_data_skip;
	__typeof__(archive_read_free) *read_free;
	__typeof__(archive_read_new) *read_new;
	__typeof__(archive_read_next_header) *read_next_header;
	__typeof__(archive_read_open_filename) *read_open_filename;
	__typeof__(archive_read_support_filter_all) *read_support_filter_all;
	__typeof__(archive_read_support_format_7zip) *read_support_format_7zip;
	__typeof__(archive_read_support_format_ar) *read_support_format_ar;
	__typeof__(archive_read_support_format_cab) *read_support_format_cab;
	__typeof__(archive_read_support_format_cpio) *read_support_format_cpio;
	__typeof__(archive_read_support_format_iso9660) *read_support_format_iso9660;
	__typeof__(archive_read_support_format_lha) *read_support_format_lha;
	__typeof__(archive_read_support_format_rar) *read_support_format_rar;
	__typeof__(archive_read_support_format_rar5) *read_support_format_rar5;
	__typeof__(archive_read_support_format_tar) *read_support_format_tar;
	__typeof__(archive_read_support_format_warc) *read_support_format_warc;
	__typeof__(archive_read_support_format_zip) *read_support_format_zip;
	__typeof__(archive_write_add_filter_none) *write_add_filter_none;
	__typeof__(archive_write_add_filter_xz) *write_add_filter_xz;
	__typeof__(archive_write_add_filter_zstd) *write_add_filter_zstd;
	__typeof__(archive_write_close) *write_close;
	__typeof__(archive_write_data) *write_data;
	__typeof__(archive_write_data_block) *write_data_block;
	__typeof__(archive_write_disk_new) *write_disk_new;
	__typeof__(archive_write_disk_set_options) *write_disk_set_options;
	__typeof__(archive_write_finish_entry) *write_finish_entry;
	__typeof__(archive_write_free) *write_free;
	__typeof__(archive_write_header) *write_header;
	__typeof__(archive_write_new) *write_new;
	__typeof__(archive_write_open_fd) *write_open_fd;
	__typeof__(archive_write_open_filename) *write_open_filename;
	__typeof__(archive_write_set_filter_option) *write_set_filter_option;
	__typeof__(archive_write_set_format_pax_restricted) *write_set_format_pax_restricted;
};

/* the table; dies with a message naming the Debian package when libarchive
 * cannot be loaded */
const struct la *la_get(void);

#if !defined(LA_IMPLEMENTATION) && !defined(LA_STATIC)
#define archive_entry_copy_hardlink (la_get()->entry_copy_hardlink)
#define archive_entry_copy_pathname (la_get()->entry_copy_pathname)
#define archive_entry_copy_symlink (la_get()->entry_copy_symlink)
#define archive_entry_filetype (la_get()->entry_filetype)
#define archive_entry_free (la_get()->entry_free)
#define archive_entry_hardlink (la_get()->entry_hardlink)
#define archive_entry_new (la_get()->entry_new)
#define archive_entry_pathname (la_get()->entry_pathname)
#define archive_entry_perm (la_get()->entry_perm)
#define archive_entry_set_filetype (la_get()->entry_set_filetype)
#define archive_entry_set_gid (la_get()->entry_set_gid)
#define archive_entry_set_hardlink (la_get()->entry_set_hardlink)
#define archive_entry_set_mtime (la_get()->entry_set_mtime)
#define archive_entry_set_pathname (la_get()->entry_set_pathname)
#define archive_entry_set_perm (la_get()->entry_set_perm)
#define archive_entry_set_size (la_get()->entry_set_size)
#define archive_entry_set_symlink (la_get()->entry_set_symlink)
#define archive_entry_set_uid (la_get()->entry_set_uid)
#define archive_entry_size (la_get()->entry_size)
#define archive_entry_symlink (la_get()->entry_symlink)
#define archive_error_string (la_get()->error_string)
#define archive_read_data (la_get()->read_data)
#define archive_read_data_block (la_get()->read_data_block)
#define archive_read_data_skip (la_get()->read_data_skip)
#define archive_read_free (la_get()->read_free)
#define archive_read_new (la_get()->read_new)
#define archive_read_next_header (la_get()->read_next_header)
#define archive_read_open_filename (la_get()->read_open_filename)
#define archive_read_support_filter_all (la_get()->read_support_filter_all)
#define archive_read_support_format_7zip (la_get()->read_support_format_7zip)
#define archive_read_support_format_ar (la_get()->read_support_format_ar)
#define archive_read_support_format_cab (la_get()->read_support_format_cab)
#define archive_read_support_format_cpio (la_get()->read_support_format_cpio)
#define archive_read_support_format_iso9660 (la_get()->read_support_format_iso9660)
#define archive_read_support_format_lha (la_get()->read_support_format_lha)
#define archive_read_support_format_rar (la_get()->read_support_format_rar)
#define archive_read_support_format_rar5 (la_get()->read_support_format_rar5)
#define archive_read_support_format_tar (la_get()->read_support_format_tar)
#define archive_read_support_format_warc (la_get()->read_support_format_warc)
#define archive_read_support_format_zip (la_get()->read_support_format_zip)
#define archive_write_add_filter_none (la_get()->write_add_filter_none)
#define archive_write_add_filter_xz (la_get()->write_add_filter_xz)
#define archive_write_add_filter_zstd (la_get()->write_add_filter_zstd)
#define archive_write_close (la_get()->write_close)
#define archive_write_data (la_get()->write_data)
#define archive_write_data_block (la_get()->write_data_block)
#define archive_write_disk_new (la_get()->write_disk_new)
#define archive_write_disk_set_options (la_get()->write_disk_set_options)
#define archive_write_finish_entry (la_get()->write_finish_entry)
#define archive_write_free (la_get()->write_free)
#define archive_write_header (la_get()->write_header)
#define archive_write_new (la_get()->write_new)
#define archive_write_open_fd (la_get()->write_open_fd)
#define archive_write_open_filename (la_get()->write_open_filename)
#define archive_write_set_filter_option (la_get()->write_set_filter_option)
#define archive_write_set_format_pax_restricted (la_get()->write_set_format_pax_restricted)
#endif

#endif
