/* SPDX-License-Identifier: MIT */
/* manifest: stub */
