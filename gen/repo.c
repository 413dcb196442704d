/* SPDX-License-Identifier: MIT */
/* repo: stub */
