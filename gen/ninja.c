/* SPDX-License-Identifier: MIT */
/* ninja: stub */
