/*  sample_words.c - the word lists jejak-sample draws names and addresses
    from: Sundanese and Indonesian given and family names, academic
    degrees, cooperative name words, hamlets and streets of Cianjur. */
#include "jk_sample.h"

#define WORDS(name, ...)                                                       \
    static const char *const s_##name[] = {__VA_ARGS__};                       \
    const jk_words_t jk_words_##name = {s_##name,                              \
                                        sizeof s_##name / sizeof *s_##name}

WORDS (given_male, "Asep", "Dedi", "Ujang", "Cecep", "Dadang", "Yayan", "Ade",
       "Agus", "Iwan", "Endang", "Aep", "Deden", "Encep", "Hendra", "Rudi",
       "Wawan", "Yusuf", "Ahmad", "Muhammad", "Dede", "Jajang", "Usep",
       "Nandang", "Dodi", "Rahmat", "Ridwan", "Budi", "Eko", "Tatang", "Engkus",
       "Oman", "Aan", "Mamat", "Jaja", "Sopian", "Didin", "Herman", "Komar",
       "Yudi", "Rizal", "Fajar", "Irfan", "Dani", "Andi", "Rohman", "Lukman",
       "Atep", "Ajat", "Opik", "Ramdan");
WORDS (given_female, "Euis", "Neneng", "Imas", "Iis", "Enok", "Siti", "Nining",
       "Yeni", "Rina", "Tuti", "Nurhayati", "Dewi", "Sri", "Lilis", "Popon",
       "Cucu", "Entin", "Elis", "Yanti", "Nia", "Ratna", "Wati", "Ai", "Eti",
       "Ani", "Titin", "Nenden", "Rika", "Nurul", "Fitri", "Rosita", "Iceu",
       "Heni", "Kokom", "Tati", "Yuyun", "Mimin", "Eva", "Dian", "Resti");
WORDS (family_male, "Supriadi", "Hidayat", "Suryana", "Rohmat", "Permana",
       "Setiawan", "Kurniawan", "Sudrajat", "Gunawan", "Mulyana", "Sutisna",
       "Rukmana", "Hermawan", "Saputra", "Ruhimat", "Kusnadi", "Sobari",
       "Mulyadi", "Taufik", "Firmansyah", "Nugraha", "Hamdani", "Sopandi",
       "Saepudin", "Ruhiyat", "Mustopa", "Jaelani", "Sukmana", "Wijaya",
       "Suherman", "Hasanudin", "Rustandi", "Effendi", "Maulana", "Ramdani");
WORDS (family_female, "Kurniasih", "Nurjanah", "Rahmawati", "Herawati",
       "Mulyani", "Sumiati", "Rohayati", "Komariah", "Fatimah", "Lestari",
       "Hasanah", "Maryati", "Nurhasanah", "Susilawati", "Wulandari", "Yuliani",
       "Sulastri", "Rosmiati", "Aisyah", "Juariah", "Suryani", "Nurlela",
       "Agustina", "Handayani", "Fitriani");
WORDS (degree, "S.E.", "S.Pd.", "S.Sos.", "S.Ag.", "A.Md.", "S.H.",
       "S.E., M.M.", "S.Kom.", "S.P.", "S.IP.");
WORDS (coop_name, "Mekar Sari", "Sauyunan", "Sabilulungan", "Silih Asih",
       "Mitra Usaha", "Karya Mandiri", "Bina Sejahtera", "Harapan Jaya",
       "Maju Bersama", "Sugih Mukti", "Rahayu", "Tunas Harapan", "Gemah Ripah",
       "Lembur Kuring", "Mandiri Sejahtera", "Barokah", "Al-Ikhlas",
       "Sinar Harapan", "Mulya Abadi", "Saluyu", "Sugema", "Cahaya Mandiri",
       "Pusaka", "Berkah Mandiri", "Tani Makmur", "Sri Mukti", "Surya Kencana",
       "Gunung Gede", "Puncak Mandiri", "Sinar Jaya", "Mekar Jaya",
       "Jaya Abadi", "Makmur Sentosa", "Bakti Husada", "Rukun Tani",
       "Wargi Mukti", "Sehati", "Amanah", "Al-Hidayah", "Nurul Iman",
       "Darussalam", "Tunas Mekar", "Sejahtera Bersama", "Subur Makmur",
       "Mukti Raharja", "Pasundan", "Panca Karya", "Giri Mulya",
       "Cahaya Pasundan", "Sumber Rejeki");
WORDS (hamlet, "Babakan", "Cibodas", "Pasir", "Sukamaju", "Cikaret",
       "Gunungsari", "Legok", "Cimenteng", "Sindanglaya", "Cipanas Girang",
       "Pasirhalang", "Cigombong", "Cikupa", "Kebonjati", "Ciburial", "Munjul",
       "Cirumput", "Tegalsari", "Cisarua", "Pamoyanan", "Rawabango", "Cijedil",
       "Bojong", "Sukasari", "Ciwalen");
WORDS (street, "Raya Cianjur-Bandung", "Raya Cipanas", "Siliwangi",
       "Pangeran Hidayatullah", "Dr. Muwardi", "Aria Wiratanudatar", "Suroso",
       "Raya Sukabumi", "Abdullah bin Nuh", "Ir. H. Juanda", "Raya Puncak",
       "Pasir Gede Raya", "Raya Sukanagara", "Raya Sindangbarang",
       "Perintis Kemerdekaan", "Mangunsarkoro");
